// The README's quick start, as a user runs it: ci-fixer `all` as a process, a demo repository
// whose `npx prettier --check .` fails, a task submitted and polled over HTTP.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo, type FixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { sh } from '../support/fix-pipeline.js';
import { startCiFixer, type CiFixerProcess } from '../support/ci-fixer-process.js';
import { connect, deletePrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { taskClient, TERMINAL } from '../support/task-client.js';
import { readSse } from '../support/sse-client.js';

describe('a prettier failure submitted over HTTP', () => {
  let dir: string;
  let repo: FixtureRepo;
  let app: CiFixerProcess;
  const prefix = uniquePrefix('e2e-fix');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-e2e-'));
    repo = await createFixtureRepo(path.join(dir, 'repo'), 'prettier');
    app = await startCiFixer('all', { REDIS_URL: redisUrl(), QUEUE_PREFIX: prefix, API_TOKENS: 'e2e-token' });
  });
  afterAll(async () => {
    await app?.stop();
    const redis = connect();
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('advances through the phases, streams its log by cursor, and ends fixed with a patch that passes the check', async () => {
    const client = taskClient(app.url, 'e2e-token');
    const { id, statusUrl, logsUrl } = await client.submit({
      repo: { url: repo.url, ref: 'main' },
      command: 'npx prettier --check .',
    });
    expect(statusUrl).toBe(`/api/v1/tasks/${id}`);
    expect(logsUrl).toBe(`/api/v1/tasks/${id}/logs`);

    const phases: string[] = [];
    const [final, log, events] = await Promise.all([
      client.waitFor(id, TERMINAL, 180_000, (t) => {
        if (t.phase !== null && phases.at(-1) !== t.phase) phases.push(t.phase);
      }),
      client.readAllLogs(id, 5),
      readSse(`${app.url}/api/v1/tasks/${id}/events`, 'e2e-token', 180_000),
    ]);

    expect(final.state).toBe('succeeded');
    expect(final.attempts).toBe(1);
    expect(final.result?.outcome).toBe('fixed');
    expect(final.result?.fixer).toBe('prettier');
    expect(final.startedAt).not.toBeNull();
    expect(final.finishedAt).not.toBeNull();
    // Polling can miss a short phase, but what it saw must be in pipeline order.
    const order = ['cloning', 'reproducing', 'fixing', 'verifying', 'reporting'];
    expect(phases.map((p) => order.indexOf(p))).toEqual([...phases.map((p) => order.indexOf(p))].sort((a, b) => a - b));
    expect(phases.length).toBeGreaterThanOrEqual(2);

    // Paged 5 lines at a time, the log is complete and in order: the system lines bracket it.
    const texts = log.lines.map((l) => l.text);
    expect(log.pages).toBeGreaterThan(2);
    expect(texts.filter((t) => t.startsWith('phase ')).map((t) => t.slice(6))).toEqual([
      'cloning',
      'reproducing',
      'fixing',
      'verifying',
      'reporting',
    ]);
    expect(texts.at(-1)).toBe('outcome fixed (fixer prettier)');
    expect(log.lines.some((l) => l.stream === 'stdout' || l.stream === 'stderr')).toBe(true);
    // SSE delivered the same lines, in the same order, with the final state last.
    expect(events.logs).toEqual(texts);
    expect(events.states.at(-1)).toBe('succeeded');

    // The patch, applied to a fresh clone, makes the failing check pass.
    const check = path.join(dir, 'check');
    execFileSync('git', ['clone', '-q', repo.url, check]);
    await writeFile(path.join(dir, 'fix.patch'), final.result!.patch);
    execFileSync('git', ['apply', path.join(dir, 'fix.patch')], { cwd: check });
    expect((await sh('npx prettier --check .', check)).code).toBe(0);
  });
});
