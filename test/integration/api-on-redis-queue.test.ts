// The intake API on the real Redis/BullMQ TaskService (no worker running): what a client sees
// between submission and pickup.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createApp } from '../../src/api/app.js';
import { createOpsApp } from '../../src/api/ops-app.js';
import { createMetrics } from '../../src/metrics.js';
import { createQueueStack, type QueueStack } from '../support/queue-stack.js';
import { connect } from '../support/redis.js';

const AUTH = { Authorization: 'Bearer it-token', 'Content-Type': 'application/json' };
const SPEC = { repo: { url: 'file:///tmp/nowhere', ref: 'main' }, command: 'npm test' };

function createMetricsFor(stack: QueueStack) {
  const metrics = createMetrics();
  metrics.setQueueCountsSource(() => stack.tasks.counts());
  return metrics;
}

describe('intake API on the Redis queue', () => {
  let stack: QueueStack;
  let app: ReturnType<typeof createApp>;

  beforeEach(() => {
    stack = createQueueStack();
    const metrics = createMetrics();
    metrics.setQueueCountsSource(() => stack.tasks.counts());
    app = createApp({
      tasks: stack.tasks,
      metrics,
      logger: pino({ level: 'silent' }),
      config: {
        auth: { tokens: ['it-token'], usingDevToken: false },
        http: { publicUrl: undefined, bodyLimitBytes: 1024 * 1024 },
      },
    });
  });
  afterEach(() => stack.close());

  it('stores a submitted task durably before answering 202, as a BullMQ job with the task id', async () => {
    const res = await app.request('/api/v1/tasks', { method: 'POST', headers: AUTH, body: JSON.stringify(SPEC) });
    expect(res.status).toBe(202);
    const { id, statusUrl } = (await res.json()) as { id: string; statusUrl: string };
    const job = await stack.tasks.queue.getJob(id);
    expect(job?.data).toEqual({ taskId: id, spec: SPEC });
    expect(await job?.getState()).toBe('waiting');
    const status = await app.request(statusUrl, { headers: AUTH });
    expect(await status.json()).toMatchObject({
      id,
      state: 'queued',
      phase: null,
      attempts: 0,
      result: null,
      error: null,
    });
  });

  it('keeps every task of a burst of concurrent submissions', async () => {
    const responses = await Promise.all(
      Array.from({ length: 150 }, () =>
        app.request('/api/v1/tasks', { method: 'POST', headers: AUTH, body: JSON.stringify(SPEC) }),
      ),
    );
    expect(responses.every((r) => r.status === 202)).toBe(true);
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(150);
    expect((await stack.tasks.counts()).waiting).toBe(150);
    const records = await Promise.all(ids.map((id) => stack.tasks.get(id)));
    expect(records.every((r) => r?.state === 'queued')).toBe(true);
  });

  it('cancels a queued task: the job is removed, the state is cancelled, a second cancel is 409', async () => {
    const res = await app.request('/api/v1/tasks', { method: 'POST', headers: AUTH, body: JSON.stringify(SPEC) });
    const { id } = (await res.json()) as { id: string };
    const cancel = await app.request(`/api/v1/tasks/${id}/cancel`, { method: 'POST', headers: AUTH });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toMatchObject({ id, state: 'cancelled' });
    expect(await stack.tasks.queue.getJob(id)).toBeUndefined();
    const again = await app.request(`/api/v1/tasks/${id}/cancel`, { method: 'POST', headers: AUTH });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'conflict' } });
    const logs = await app.request(`/api/v1/tasks/${id}/logs`, { headers: AUTH });
    expect(await logs.json()).toEqual({ lines: [], nextCursor: 0, done: true });
  });

  it('answers 404 for an unknown task on every task route', async () => {
    const id = '0b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b';
    for (const [method, path] of [
      ['GET', `/api/v1/tasks/${id}`],
      ['GET', `/api/v1/tasks/${id}/logs`],
      ['POST', `/api/v1/tasks/${id}/cancel`],
    ] as const) {
      const res = await app.request(path, { method, headers: AUTH });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });

  it('answers every kind of bad input with a 4xx naming the problem, stores nothing, and keeps serving', async () => {
    const post = (body: string, headers: Record<string, string> = AUTH) =>
      app.request('/api/v1/tasks', { method: 'POST', headers, body });
    const cases: Array<[string, Response | Promise<Response>, number, RegExp]> = [
      ['malformed JSON', post('{"repo":'), 400, /json/i],
      [
        'wrong content type',
        post(JSON.stringify(SPEC), { Authorization: 'Bearer it-token', 'Content-Type': 'text/plain' }),
        415,
        /application\/json/,
      ],
      ['missing field', post(JSON.stringify({ repo: SPEC.repo })), 400, /command/],
      ['invalid field', post(JSON.stringify({ ...SPEC, repo: { url: 'ftp://x/y', ref: 'main' } })), 400, /repo\.url/],
      ['missing token', post(JSON.stringify(SPEC), { 'Content-Type': 'application/json' }), 401, /token/i],
      ['wrong token', post(JSON.stringify(SPEC), { ...AUTH, Authorization: 'Bearer nope' }), 401, /token/i],
      ['body over the limit', post(JSON.stringify({ ...SPEC, command: 'x'.repeat(2 * 1024 * 1024) })), 413, /larger/i],
    ];
    for (const [name, pending, status, message] of cases) {
      const res = await pending;
      expect(res.status, name).toBe(status);
      expect(JSON.stringify(await res.json()), name).toMatch(message);
    }
    expect((await stack.tasks.counts()).waiting).toBe(0);
    expect((await post(JSON.stringify(SPEC))).status).toBe(202);
  });

  it('reports queue depth by state in /metrics', async () => {
    await app.request('/api/v1/tasks', { method: 'POST', headers: AUTH, body: JSON.stringify(SPEC) });
    const ops = createOpsApp({ tasks: stack.tasks, metrics: createMetricsFor(stack) });
    const text = await (await ops.request('/metrics')).text();
    expect(text).toMatch(/ci_fixer_queue_depth\{state="waiting"\} 1/);
    expect((await app.request('/readyz')).status).toBe(200);
  });
});

describe('submission order', () => {
  it('never lets a worker see a job before its task record', async () => {
    const stack = createQueueStack();
    const watcher = connect();
    try {
      const waitKey = `${stack.prefix}:${stack.settings.name}:wait`;
      const missing: string[] = [];
      let checked = 0;
      let done = false;
      // A second connection plays the worker: whatever job it can see must already have its record.
      const watch = (async () => {
        for (let i = 0; i < 100_000 && !done; i++) {
          const ids = await watcher.lrange(waitKey, 0, -1);
          const records = await Promise.all(ids.map((id) => watcher.exists(stack.store.recordKey(id))));
          ids.forEach((id, j) => {
            if (records[j] === 0) missing.push(id);
          });
          checked += ids.length;
        }
      })();
      for (let round = 0; round < 20; round++) {
        await Promise.all(Array.from({ length: 50 }, () => stack.tasks.submit(SPEC)));
      }
      done = true;
      await watch;
      expect(checked).toBeGreaterThan(0);
      expect(missing).toEqual([]);
      expect((await stack.tasks.counts()).waiting).toBe(1000);
    } finally {
      watcher.disconnect();
      await stack.close();
    }
  });
});
