// During a Redis outage the read-mostly surfaces (the task list, stats, the console's pages and
// Bull Board) answer 503 with Retry-After like the task routes, instead of 500: a client or a
// browser retries, and an operator is not paged for a bug that is not there. Its own real
// redis-server on a unix socket in a temp folder; killed mid-test.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startRuntime, type Runtime } from '../../src/main.js';
import { killSocketRedis, startSocketRedis } from '../support/socket-redis.js';

const TOKEN = 'outage-reader';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const COOKIE = { Cookie: `ci_fixer_session=${TOKEN}` };
/** A bound on each request, far above REDIS_API_TIMEOUT_MS: a hang fails the test, never blocks it. */
const REQUEST_BOUND_MS = 15_000;

describe('lists, stats, console and Bull Board while Redis is down', () => {
  let dir: string;
  let redis: ChildProcess | undefined;
  let runtime: Runtime;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-outage-reads-'));
    const socket = path.join(dir, 'redis.sock');
    redis = await startSocketRedis(socket, dir, ['--save', '']);
    const config = loadConfig({
      REDIS_URL: socket,
      API_TOKENS: TOKEN,
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      REDIS_API_TIMEOUT_MS: '1000',
      QUEUE_PREFIX: 'outage-reads',
    });
    runtime = await startRuntime('api', config, pino({ level: 'silent' }));
    base = `http://127.0.0.1:${runtime.port}`;
  });
  afterAll(async () => {
    await runtime?.stop();
    if (redis?.exitCode === null && redis.signalCode === null) await killSocketRedis(redis);
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After on every one of them', async () => {
    const request = (route: string, headers: Record<string, string>) =>
      fetch(`${base}${route}`, { headers, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_BOUND_MS) });
    const routes: Array<[string, Record<string, string>]> = [
      ['/api/v1/tasks', AUTH],
      ['/api/v1/stats', AUTH],
      ['/', COOKIE],
      ['/tasks', COOKIE],
      ['/admin/queues/api/queues', COOKIE],
    ];
    for (const [route, headers] of routes) expect((await request(route, headers)).status, route).toBe(200);

    await killSocketRedis(redis!);
    for (const [route, headers] of routes) {
      const res = await request(route, headers);
      expect(res.status, route).toBe(503);
      expect(res.headers.get('retry-after'), route).toBe('5');
    }
  });
});
