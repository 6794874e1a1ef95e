// SSE resume on the Redis-backed TaskService (real store, real pub/sub hints), not only the
// in-memory one: a client that reconnects with Last-Event-ID gets every later line exactly once,
// live, then the final state and `end`.
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createMetrics } from '../../src/metrics.js';
import type { LogLine } from '../../src/task.js';
import { createQueueStack, type QueueStack } from '../support/queue-stack.js';
import { SseReader, type SseEvent } from '../support/sse-reader.js';

const AUTH = { Authorization: 'Bearer sse-token' };
const line = (i: number): LogLine => ({ ts: new Date().toISOString(), stream: 'stdout', text: `line ${i}` });
const texts = (events: SseEvent[]) =>
  events.filter((e) => e.event === 'log').map((e) => (JSON.parse(e.data) as LogLine).text);

describe('SSE on the Redis-backed service', () => {
  let stack: QueueStack;
  let app: ReturnType<typeof createApp>;
  beforeEach(() => {
    stack = createQueueStack();
    app = createApp({
      tasks: stack.tasks,
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
      config: {
        auth: { tokens: ['sse-token'], usingDevToken: false },
        http: { publicUrl: undefined, bodyLimitBytes: 1024 * 1024 },
      },
      // No fallback poll within the test: new lines must arrive through the pub/sub hints.
      sse: { pollMs: 60_000, keepAliveMs: 60_000 },
    });
  });
  afterEach(() => stack.close());

  const open = async (id: string, headers: Record<string, string> = {}) => {
    const res = await app.request(`/api/v1/tasks/${id}/events`, { headers: { ...AUTH, ...headers } });
    expect(res.status).toBe(200);
    return new SseReader(res);
  };

  it('resumes from Last-Event-ID without losing or repeating a line, then streams live to the end', async () => {
    const id = randomUUID();
    await stack.store.create(id, { repo: { url: 'file:///tmp/r', ref: 'main' }, command: 'true' });
    await stack.store.transition(id, ['queued'], { state: 'running' });
    await stack.store.appendLog(id, [1, 2, 3, 4].map(line));

    const first = await open(id);
    const seen = await first.until((e) => e.id === '4');
    await first.cancel();
    expect(texts(seen)).toEqual(['line 1', 'line 2', 'line 3', 'line 4']);

    await stack.store.appendLog(id, [line(5)]);
    const second = await open(id, { 'Last-Event-ID': '4' });
    const resumed = await second.until((e) => e.id === '5');
    await stack.store.appendLog(id, [6, 7].map(line));
    await stack.store.transition(id, ['running'], { state: 'succeeded', finishedAt: new Date().toISOString() });
    const rest = await second.all();

    const events = [...resumed, ...rest];
    expect(texts(events)).toEqual(['line 5', 'line 6', 'line 7']);
    expect(events.filter((e) => e.event === 'log').map((e) => e.id)).toEqual(['5', '6', '7']);
    expect(events.at(-1)?.event).toBe('end');
    expect(JSON.parse(events.filter((e) => e.event === 'state').at(-1)!.data)).toMatchObject({
      id,
      state: 'succeeded',
    });
  });
});
