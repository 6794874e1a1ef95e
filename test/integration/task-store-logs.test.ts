import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskStore, TRUNCATION_MARKER } from '../../src/result/task-store.js';
import type { LogLine } from '../../src/task.js';
import { connect, deletePrefix, uniquePrefix } from '../support/redis.js';

const spec = { repo: { url: 'file:///tmp/repo', ref: 'main' }, command: 'npm test' };
const line = (text: string): LogLine => ({ ts: new Date().toISOString(), stream: 'stdout', text });

describe('task store logs', () => {
  let redis: Redis;
  let prefix: string;
  const storeWith = (logMaxLines = 10_000, logMaxBytes = 5 * 1024 * 1024) =>
    new TaskStore({ redis, prefix, retentionSeconds: 60, logMaxLines, logMaxBytes });

  beforeEach(() => {
    redis = connect();
    prefix = uniquePrefix('store');
  });
  afterEach(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('pages by cursor without losing or repeating a line while lines keep arriving', async () => {
    const store = storeWith();
    const id = randomUUID();
    await store.create(id, spec);
    const written: string[] = [];
    const read: string[] = [];
    let cursor = 0;
    for (let round = 0; round < 20; round++) {
      const batch = Array.from({ length: 7 }, (_, i) => `r${round}-l${i}`);
      written.push(...batch);
      await store.appendLog(id, batch.map(line));
      const page = await store.readLog(id, cursor, 5);
      read.push(...page.lines.map((l) => l.text));
      cursor += page.lines.length;
    }
    for (let i = 0; i < 100; i++) {
      const page = await store.readLog(id, cursor, 5);
      if (page.lines.length === 0) break;
      read.push(...page.lines.map((l) => l.text));
      cursor += page.lines.length;
    }
    expect(read).toEqual(written);
  });

  it('stops at the line cap with one visible truncation marker', async () => {
    const store = storeWith(10);
    const id = randomUUID();
    await store.create(id, spec);
    await store.appendLog(
      id,
      Array.from({ length: 6 }, (_, i) => line(`a${i}`)),
    );
    await store.appendLog(
      id,
      Array.from({ length: 6 }, (_, i) => line(`b${i}`)),
    );
    await store.appendLog(id, [line('never stored')]);
    const all = await store.readLog(id, 0, 100);
    expect(all.total).toBe(10);
    expect(all.lines.map((l) => l.text)).toEqual([
      'a0',
      'a1',
      'a2',
      'a3',
      'a4',
      'a5',
      'b0',
      'b1',
      'b2',
      TRUNCATION_MARKER,
    ]);
    expect(all.lines.at(-1)?.stream).toBe('system');
  });

  it('stops at the byte cap', async () => {
    const store = storeWith(10_000, 2000);
    const id = randomUUID();
    await store.create(id, spec);
    await store.appendLog(
      id,
      Array.from({ length: 50 }, (_, i) => line(`${i}`.padEnd(100, 'x'))),
    );
    const all = await store.readLog(id, 0, 1000);
    expect(all.lines.at(-1)?.text).toBe(TRUNCATION_MARKER);
    const stored = all.lines.slice(0, -1).reduce((n, l) => n + JSON.stringify(l).length, 0);
    expect(stored).toBeLessThanOrEqual(2000);
    expect(all.lines.length).toBeGreaterThan(5);
  });

  it('refuses a transition from a state that is not allowed and starts retention on final states', async () => {
    const store = storeWith();
    const id = randomUUID();
    await store.create(id, spec);
    expect((await store.transition(id, ['running'], { state: 'succeeded' })).applied).toBe(false);
    expect(
      (await store.transition(id, ['queued'], { state: 'running', phase: 'cloning', incrementAttempts: true })).applied,
    ).toBe(true);
    const finished = await store.transition(id, ['running'], {
      state: 'cancelled',
      phase: null,
      finishedAt: new Date().toISOString(),
    });
    expect(finished).toEqual({ applied: true, previous: 'running', refused: null });
    const record = await store.get(id);
    expect(record).toMatchObject({ state: 'cancelled', phase: null, attempts: 1 });
    const ttl = await redis.ttl(store.recordKey(id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect((await store.transition(id, ['queued', 'running'], { state: 'succeeded' })).applied).toBe(false);
  });

  it('reports an unknown task as missing', async () => {
    const store = storeWith();
    expect(await store.get(randomUUID())).toBeNull();
    expect((await store.readLog(randomUUID(), 0, 10)).exists).toBe(false);
    expect(await store.appendLog(randomUUID(), [line('x')])).toBe(-1);
  });

  it('gives a record that is not final, and its log, a long backstop TTL, refreshed by its writes', async () => {
    const store = new TaskStore({
      redis,
      prefix,
      retentionSeconds: 60,
      logMaxLines: 100,
      logMaxBytes: 100_000,
      unfinishedTtlSeconds: 5000,
    });
    const id = randomUUID();
    await store.create(id, spec);
    const created = await redis.ttl(store.recordKey(id));
    expect(created).toBeGreaterThan(4000);
    expect(created).toBeLessThanOrEqual(5000);
    await store.appendLog(id, [line('one')]);
    expect(await redis.ttl(store.logKey(id))).toBeGreaterThan(4000);
    await redis.expire(store.recordKey(id), 100);
    await store.transition(id, ['queued'], { state: 'running' });
    expect(await redis.ttl(store.recordKey(id))).toBeGreaterThan(4000);
    await store.transition(id, ['running'], { state: 'failed' });
    expect(await redis.ttl(store.recordKey(id))).toBeLessThanOrEqual(60);
    expect(await redis.ttl(store.logKey(id))).toBeLessThanOrEqual(60);
  });

  it('fences writes by attempt: once a newer attempt owns the record, the older one cannot write', async () => {
    const store = storeWith();
    const id = randomUUID();
    await store.create(id, spec);
    expect((await store.transition(id, ['queued', 'running'], { state: 'running', owner: 'attempt-1' })).applied).toBe(
      true,
    );
    expect((await store.transition(id, ['running'], { phase: 'cloning' }, 'attempt-1')).applied).toBe(true);
    // The first worker lost its lock; a second attempt took the task over.
    expect(
      (await store.transition(id, ['queued', 'running'], { state: 'running', owner: 'attempt-2', phase: null }))
        .applied,
    ).toBe(true);

    const stale = await store.transition(id, ['queued', 'running'], { state: 'succeeded', phase: null }, 'attempt-1');
    expect(stale).toEqual({ applied: false, previous: 'running', refused: 'fenced' });
    expect(await store.get(id)).toMatchObject({ state: 'running', phase: null });

    expect(await store.transition(id, ['running'], { state: 'failed' }, 'attempt-2')).toEqual({
      applied: true,
      previous: 'running',
      refused: null,
    });
    expect(await store.transition(id, ['running'], { state: 'succeeded' }, 'attempt-2')).toEqual({
      applied: false,
      previous: 'failed',
      refused: 'state',
    });
  });
});
