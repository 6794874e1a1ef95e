// The API over its own real redis-server (a unix socket in a temp folder: nothing else can take
// it, and the shared Redis is never touched). Redis is killed: every request is answered 503
// within the command bound instead of hanging. Redis comes back: the API recovers by itself,
// with the data (AOF) it had.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startRuntime, type Runtime } from '../../src/main.js';
import { killSocketRedis, startSocketRedis } from '../support/socket-redis.js';
import { waitUntil } from '../support/local-sandbox.js';

const TOKEN = 'outage-token';
const AUTH = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
const SPEC = { repo: { url: 'https://example.com/org/repo.git', ref: 'main' }, command: 'npm test' };
/** A bound on each request, far above REDIS_API_TIMEOUT_MS: a hang fails the test, never blocks it. */
const REQUEST_BOUND_MS = 15_000;

describe('the API while Redis is down', () => {
  let dir: string;
  let socket: string;
  let redis: ChildProcess | undefined;
  let runtime: Runtime;
  let base: string;

  async function startRedis(): Promise<void> {
    redis = await startSocketRedis(socket, dir, ['--appendonly', 'yes', '--appendfsync', 'always', '--save', '']);
  }
  async function killRedis(): Promise<void> {
    await killSocketRedis(redis!);
  }
  const request = (route: string, init: RequestInit = {}) =>
    fetch(`${base}${route}`, { ...init, signal: AbortSignal.timeout(REQUEST_BOUND_MS) });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-outage-'));
    socket = path.join(dir, 'redis.sock');
    await startRedis();
    const config = loadConfig({
      REDIS_URL: socket,
      API_TOKENS: TOKEN,
      HOST: '127.0.0.1',
      PORT: '0',
      // Never the default 9464: another ci-fixer or test on the machine may hold it.
      METRICS_PORT: '0',
      REDIS_API_TIMEOUT_MS: '1000',
      QUEUE_PREFIX: 'outage',
    });
    runtime = await startRuntime('api', config, pino({ level: 'silent' }));
    base = `http://127.0.0.1:${runtime.port}`;
  });
  afterAll(async () => {
    await runtime?.stop();
    if (redis?.exitCode === null && redis.signalCode === null) await killRedis();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 during the outage and recovers by itself when Redis is back', async () => {
    const created = await request('/api/v1/tasks', { method: 'POST', headers: AUTH, body: JSON.stringify(SPEC) });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };

    await killRedis();
    for (const [route, init] of [
      [`/api/v1/tasks/${id}`, { headers: AUTH }],
      [`/api/v1/tasks/${id}/logs`, { headers: AUTH }],
      ['/api/v1/tasks', { method: 'POST', headers: AUTH, body: JSON.stringify(SPEC) }],
      [`/api/v1/tasks/${id}/cancel`, { method: 'POST', headers: AUTH }],
    ] as const) {
      const res = await request(route, init);
      expect(res.status, `${init.method ?? 'GET'} ${route}`).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unavailable');
    }
    expect((await request('/readyz')).status).toBe(503);

    await startRedis();
    await waitUntil(
      async () => (await request(`/api/v1/tasks/${id}`, { headers: AUTH })).status === 200,
      'the API to answer again',
      30_000,
    );
    expect(await (await request(`/api/v1/tasks/${id}`, { headers: AUTH })).json()).toMatchObject({
      id,
      state: 'queued',
    });
    expect((await request('/api/v1/tasks', { method: 'POST', headers: AUTH, body: JSON.stringify(SPEC) })).status).toBe(
      202,
    );
    expect((await request('/readyz')).status).toBe(200);
  });
});
