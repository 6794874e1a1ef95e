// The worker trusts nothing in Redis: a job whose clone URL is not on the GitHub host, or whose
// installation does not cover its repository, fails before any token is made or sent anywhere.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { createGitHubCredentials } from '../../src/github/client.js';
import { createGitHubTaskHooks } from '../../src/github/reporter.js';
import { createLogger } from '../../src/logger.js';
import type { GitHubOrigin, QueuedTaskSpec } from '../../src/task.js';
import type { FixWorker } from '../../workers/worker.js';
import { Fixtures } from '../support/fix-pipeline.js';
import { startGitHttpsServer, type GitHttpsServer } from '../support/git-https-server.js';
import { APP_ID, FULL_NAME, INSTALLATION_ID, startGitHubWorld, type GitHubWorld } from '../support/github-world.js';
import { startLocalProvider } from '../support/local-sandbox.js';
import { createQueueStack, runToEnd, startStackWorker, type QueueStack } from '../support/queue-stack.js';

const logger = createLogger('silent');

describe('forged GitHub jobs', () => {
  const fixtures = new Fixtures();
  let world: GitHubWorld;
  let attacker: GitHttpsServer;
  let stack: QueueStack;
  let worker: FixWorker;

  beforeAll(async () => {
    world = await startGitHubWorld();
    const root = await fixtures.tempDir('attacker');
    await createFixtureRepo(path.join(root, `${FULL_NAME}.git`), 'passing');
    attacker = await startGitHttpsServer(root, () => true);
    stack = createQueueStack({ attempts: 1 });
    const settings = {
      apiUrl: world.api.url,
      gitHost: new URL(world.remote.baseUrl).host,
      requestTimeoutMs: 5000,
      checkName: 'ci-fixer',
      checkRuns: true,
      fixPullRequests: true,
      prComments: true,
      allowWorkflowChanges: false,
      forkTimeoutSeconds: 600,
      forkAllowSetup: false,
      reportAttempts: 1,
      gitTimeoutSeconds: 30,
    };
    const credentials = createGitHubCredentials(
      { app: { id: APP_ID, privateKey: world.api.privateKeyPem }, personalToken: undefined },
      { apiUrl: settings.apiUrl, requestTimeoutMs: 5000, logger },
    );
    const hooks = createGitHubTaskHooks({ settings, credentials, publicUrl: undefined, logger, gitEnv: world.gitEnv });
    worker = await startStackWorker(stack, {
      sandboxes: (await startLocalProvider({ baseEnv: { ...process.env, ...world.gitEnv } })).provider,
      hooks,
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await attacker?.close();
    await world?.close();
    await fixtures.cleanup();
  });

  const forged = (repository: Partial<GitHubOrigin['repository']>, installationId: number): QueuedTaskSpec => {
    const origin: GitHubOrigin = {
      event: 'check_run',
      deliveryId: randomUUID(),
      repository: { fullName: FULL_NAME, cloneUrl: world.cloneUrl, defaultBranch: 'main', ...repository },
      headSha: world.headSha,
      headBranch: world.headBranch,
      headRepository: null,
      pullRequests: [],
      workflow: null,
      runId: null,
      checkRun: { id: 1, name: 'lint' },
      failedJob: 'lint',
      installationId,
    };
    return { repo: { url: origin.repository.cloneUrl, ref: origin.headSha }, github: origin };
  };

  it.each([
    [
      'a clone URL on another host',
      () => forged({ cloneUrl: `${attacker.baseUrl}${FULL_NAME}.git` }, INSTALLATION_ID),
      'github_origin_untrusted',
    ],
    [
      'a repository the installation does not cover',
      () =>
        forged(
          { fullName: 'victim-org/other', cloneUrl: `${world.remote.baseUrl}victim-org/other.git` },
          INSTALLATION_ID,
        ),
      'github_installation_mismatch',
    ],
    ['another installation id', () => forged({}, INSTALLATION_ID + 1), 'github_installation_mismatch'],
    [
      'a sandbox URL other than the clone URL',
      () => ({
        ...forged({}, INSTALLATION_ID),
        repo: { url: `${attacker.baseUrl}${FULL_NAME}.git`, ref: world.headSha },
      }),
      'github_origin_untrusted',
    ],
  ])('fails a job with %s, making no token', async (_what, spec, code) => {
    const task = await runToEnd(stack, spec(), 60_000);
    expect(task.state).toBe('failed');
    expect(task.error?.code).toBe(code);
    expect(world.api.tokens).toEqual([]);
    expect(world.api.find('POST', /access_tokens$/)).toEqual([]);
    expect(attacker.authorizations.filter((a) => a !== undefined)).toEqual([]);
  });

  it('still runs a genuine job', async () => {
    const task = await runToEnd(stack, forged({}, INSTALLATION_ID), 120_000);
    expect(task.error).toBeNull();
    expect(world.api.tokens.length).toBeGreaterThan(0);
  });
});
