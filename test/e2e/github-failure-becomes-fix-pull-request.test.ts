// GitHub in and out, end to end, with the built `ci-fixer all` as a process: a signed workflow_run
// failure for a repository whose `npx prettier --check .` fails ends with the check run completed,
// a branch with the fix commit pushed to the (real, git http-backend) remote, and the pull request
// request recorded by the fake GitHub API. No token ever lands in Redis or in a log.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../src/task.js';
import { startCiFixer, type CiFixerProcess } from '../support/ci-fixer-process.js';
import { signedDelivery, WEBHOOK_SECRET } from '../support/github-payloads.js';
import {
  APP_ID,
  FULL_NAME,
  PR_NUMBER,
  startGitHubWorld,
  workflowRunFailure,
  type GitHubWorld,
} from '../support/github-world.js';
import { connect, deletePrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { taskClient, TERMINAL } from '../support/task-client.js';

/** Every value stored under the prefix, as one string, to search for leaked secrets. */
async function dumpPrefix(redis: Redis, prefix: string): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  for (let i = 0; i < 10_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'string') parts.push(String(await redis.get(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
    cursor = next;
    if (cursor === '0') break;
  }
  return parts.join('\n');
}

describe('a GitHub workflow failure, end to end', () => {
  let world: GitHubWorld;
  let app: CiFixerProcess;
  let workDir: string;
  const prefix = uniquePrefix('e2e-github');

  beforeAll(async () => {
    world = await startGitHubWorld();
    workDir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-e2e-gh-'));
    app = await startCiFixer('all', {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      API_TOKENS: 'e2e-token',
      GITHUB_WEBHOOK_SECRETS: WEBHOOK_SECRET,
      GITHUB_APP_ID: APP_ID,
      // The e2e tier runs the local driver on its own fixture repositories.
      ALLOW_LOCAL_DRIVER_WITH_CREDENTIALS: 'true',
      GITHUB_APP_PRIVATE_KEY: world.api.privateKeyPem,
      GITHUB_API_URL: world.api.url,
      GITHUB_GIT_HOST: new URL(world.remote.baseUrl).host,
      GITHUB_REPORT_ATTEMPTS: '2',
      // The remote's certificate is a throwaway one; the worker's git and the sandbox's both trust it.
      GIT_SSL_CAINFO: world.remote.caFile,
    });
  });
  afterAll(async () => {
    await app?.stop();
    const redis = connect();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await world?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('ends with the check run completed, the fix pushed to a ci-fixer branch, and a pull request into the failing branch', async () => {
    const delivery = await signedDelivery('workflow_run', workflowRunFailure(world), WEBHOOK_SECRET);
    const accepted = await fetch(`${app.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };

    const client = taskClient(app.url, 'e2e-token');
    const task: TaskRecord = await client.waitFor(id, TERMINAL, 150_000);
    expect(task).toMatchObject({
      state: 'succeeded',
      error: null,
      result: { outcome: 'fixed', fixer: 'prettier', commandSource: 'workflow' },
    });
    expect(task.spec).toMatchObject({
      command: 'npx prettier --check .',
      commandSource: 'workflow',
      github: { failedJob: 'lint', headSha: world.headSha },
    });
    const report = task.result!.github!;
    const branch = `ci-fixer/${world.headSha.slice(0, 7)}-${id.slice(0, 8)}`;
    expect(report).toMatchObject({
      error: null,
      branch,
      pullRequestUrl: expect.stringContaining(`github.com/${FULL_NAME}/pull/`),
    });

    // The check run: created in_progress on the head sha, then completed with the summary and patch.
    const [created] = world.api.find('POST', new RegExp(`^/repos/${FULL_NAME}/check-runs$`));
    expect(created?.body).toMatchObject({
      name: 'ci-fixer',
      head_sha: world.headSha,
      status: 'in_progress',
      external_id: id,
    });
    const updates = world.api.find('PATCH', new RegExp(`^/repos/${FULL_NAME}/check-runs/${report.checkRunId}$`));
    expect(updates.at(-1)?.body).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      output: { title: 'Fixed by prettier' },
    });
    expect(updates.at(-1)?.body.output.text).toContain(task.result!.patch.split('\n')[0]);

    // The remote: the fix commit on top of the failing one, and the branch makes the check pass.
    const commit = await world.remoteGit(['rev-parse', `refs/heads/${branch}`]);
    expect(commit).toBe(report.commitSha);
    expect(await world.remoteGit(['rev-parse', `${commit}^`])).toBe(world.headSha);
    expect(await world.remoteGit(['log', '-1', '--format=%(trailers:key=Ci-Fixer-Task,valueonly)', commit])).toBe(id);
    expect(await world.remoteGit(['rev-parse', 'refs/heads/feature'])).toBe(world.headSha);
    const checkout = path.join(workDir, 'fixed');
    execFileSync('git', ['clone', '--quiet', '--branch', branch, world.bareDir, checkout], { timeout: 30_000 });
    execFileSync('npx', ['--yes', 'prettier', '--check', '.'], { cwd: checkout, timeout: 120_000, stdio: 'pipe' });

    // The pull request into the failing branch, and the comment on the failing pull request.
    const [pull] = world.api.find('POST', new RegExp(`^/repos/${FULL_NAME}/pulls$`));
    expect(pull?.body).toMatchObject({ head: branch, base: 'feature' });
    expect(world.api.find('POST', new RegExp(`^/repos/${FULL_NAME}/issues/${PR_NUMBER}/comments$`))).toHaveLength(1);

    // Tokens: the sandbox cloned with the read-only one; only the worker pushed, with the other.
    const read = world.api.tokens.filter((t) => t.permissions?.contents === 'read').map((t) => t.token);
    const write = world.api.tokens.filter((t) => t.permissions === undefined).map((t) => t.token);
    const basic = (token: string) => `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
    const pushes = world.remote.requests.filter(
      (r) => r.query === 'service=git-receive-pack' || r.path.endsWith('/git-receive-pack'),
    );
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.filter((r) => !write.map(basic).includes(r.authorization ?? ''))).toEqual([]);
    expect(world.remote.requests.some((r) => read.map(basic).includes(r.authorization ?? ''))).toBe(true);

    // Nothing stored or logged holds a token.
    const redis = connect();
    const stored = await dumpPrefix(redis, prefix);
    redis.disconnect();
    const logs = JSON.stringify(app.logs);
    for (const token of [...read, ...write]) {
      expect(stored).not.toContain(token);
      expect(logs).not.toContain(token);
    }
    const { lines } = await client.readAllLogs(id);
    const taskLog = lines.map((l) => l.text).join('\n');
    expect(taskLog).toContain('github: check run');
    for (const token of [...read, ...write]) expect(taskLog).not.toContain(token);
  });

  it('keeps the result when GitHub is down at the end: the report error is recorded after bounded retries', async () => {
    world.api.fail('PATCH', /\/check-runs\/\d+$/, 503);
    world.api.fail('POST', /\/pulls$/, 503);
    // The same failure again, as a new delivery: its first task has finished, so this is a new one.
    const delivery = await signedDelivery('workflow_run', workflowRunFailure(world), WEBHOOK_SECRET);
    const accepted = await fetch(`${app.url}/webhooks/github`, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    const task = await taskClient(app.url, 'e2e-token').waitFor(id, TERMINAL, 150_000);
    expect(task).toMatchObject({ state: 'succeeded', result: { outcome: 'fixed', fixer: 'prettier' } });
    expect(task.result!.patch).toMatch(/^diff --git/m);
    expect(task.result!.github).toMatchObject({ attempts: 2, error: { code: 'github_http_503' } });
  });
});

describe('webhook intake without a secret', () => {
  it('warns at startup and refuses every delivery with 401', async () => {
    const prefix = uniquePrefix('e2e-github-nosecret');
    const api = await startCiFixer('api', {
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: prefix,
      API_TOKENS: 'e2e-token',
      GITHUB_WEBHOOK_SECRETS: '',
    });
    try {
      expect(await api.waitForLog('github_webhook_secret_unset')).toMatchObject({
        level: 40,
        variable: 'GITHUB_WEBHOOK_SECRETS',
      });
      const delivery = await signedDelivery('ping', { zen: 'z' }, WEBHOOK_SECRET);
      const res = await fetch(`${api.url}/webhooks/github`, {
        method: 'POST',
        headers: delivery.headers,
        body: delivery.body,
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/GITHUB_WEBHOOK_SECRETS/);
    } finally {
      await api.stop();
      const redis = connect();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    }
  });
});
