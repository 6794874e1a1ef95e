// GIT_TOKEN follows the submitting token, not only the host: the API records whether the
// submitter may use it (a token with repository scopes, or a single bare token), the worker
// reads that from the stored record. An unscoped named tenant naming the same private repository
// gets it cloned without credentials (and refused by the server); a scoped tenant naming a
// repository outside its patterns is refused 403 before anything is stored.
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { createApp } from '../../src/api/app.js';
import { createMetrics } from '../../src/metrics.js';
import type { FixWorker } from '../../workers/worker.js';
import { Fixtures } from '../support/fix-pipeline.js';
import { startGitHttpsServer, type GitHttpsServer } from '../support/git-https-server.js';
import { startLocalProvider } from '../support/local-sandbox.js';
import { createQueueStack, startStackWorker, untilFinal, type QueueStack } from '../support/queue-stack.js';

const GIT_TOKEN = 'ghs_SharedCloneTokenForPrivateRepos42';
const basic = `Basic ${Buffer.from(`x-access-token:${GIT_TOKEN}`).toString('base64')}`;

describe('GIT_TOKEN and repository scopes', () => {
  const fixtures = new Fixtures();
  let git: GitHttpsServer;
  let stack: QueueStack;
  let worker: FixWorker;
  let host: string;

  beforeAll(async () => {
    const root = await fixtures.tempDir('git');
    await createFixtureRepo(path.join(root, 'alice-org', 'private.git'), 'passing');
    git = await startGitHttpsServer(root, { user: 'x-access-token', password: GIT_TOKEN });
    host = new URL(git.baseUrl).host;
    stack = createQueueStack();
    const { provider } = await startLocalProvider({ baseEnv: { ...process.env, GIT_SSL_CAINFO: git.caFile } });
    worker = await startStackWorker(stack, { sandboxes: provider, gitToken: { token: GIT_TOKEN, hosts: [host] } });
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.close();
    await git?.close();
    await fixtures.cleanup();
  });

  function api(tokens: string[]) {
    return createApp({
      tasks: stack.tasks,
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
      config: {
        auth: { tokens, usingDevToken: false },
        http: { publicUrl: undefined, bodyLimitBytes: 1024 * 1024 },
      },
    });
  }
  async function submit(app: ReturnType<typeof api>, token: string, url: string) {
    return app.request('/api/v1/tasks', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ repo: { url, ref: 'main' }, command: 'true' }),
    });
  }
  async function run(app: ReturnType<typeof api>, token: string, url: string) {
    const before = git.authorizations.length;
    const res = await submit(app, token, url);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const task = await untilFinal(stack, id);
    return { task, authorizations: git.authorizations.slice(before) };
  }

  it('clones with GIT_TOKEN for a tenant whose repository scopes match', async () => {
    const app = api([`alice:alice-tok:submit+read:own:${host}/alice-org/*`, 'bob:bob-tok:submit+read:own']);
    const { task, authorizations } = await run(app, 'alice-tok', `${git.baseUrl}alice-org/private.git`);
    expect(task).toMatchObject({ state: 'succeeded', submittedBy: 'alice', result: { outcome: 'not_reproduced' } });
    expect(authorizations).toContain(basic);
  });

  it('never sends GIT_TOKEN for an unscoped named tenant, even to the same repository', async () => {
    const app = api(['admin:admin-tok', 'bob:bob-tok:submit+read:own']);
    const { task, authorizations } = await run(app, 'bob-tok', `${git.baseUrl}alice-org/private.git`);
    expect(task).toMatchObject({ state: 'failed', submittedBy: 'bob', error: { code: 'repo_unreachable' } });
    expect(authorizations.length).toBeGreaterThan(0);
    expect(authorizations).not.toContain(basic);
  });

  it('clones with GIT_TOKEN for the single bare token of a one-user install', async () => {
    const { task, authorizations } = await run(api(['only-tok']), 'only-tok', `${git.baseUrl}alice-org/private.git`);
    expect(task).toMatchObject({ state: 'succeeded', result: { outcome: 'not_reproduced' } });
    expect(authorizations).toContain(basic);
  });

  it('refuses 403 a repository outside the patterns, naming it, before anything is stored', async () => {
    const app = api([`alice:alice-tok:submit+read:own:${host}/alice-org/*`]);
    const before = await stack.tasks.list({ limit: 100 });
    const url = `${git.baseUrl}bob-org/secret.git`;
    const res = await submit(app, 'alice-tok', url);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; message: string; details: { repository: string } } };
    expect(body.error.code).toBe('forbidden');
    expect(body.error.message).toContain(url);
    expect(body.error.details.repository).toBe(url);
    expect((await stack.tasks.list({ limit: 100 })).tasks).toEqual(before.tasks);
    expect(await stack.tasks.queue.count()).toBe(0);
  });
});
