// GET /api/v1/tasks on the real Redis index: a client pages through while 500 more tasks are
// submitted, and sees every task that existed when it started exactly once, newest first.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createMetrics } from '../../src/metrics.js';
import { createQueueStack, type QueueStack } from '../support/queue-stack.js';

const TOKEN = 'it-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const spec = (i: number) => ({ repo: { url: `file:///tmp/repo-${i % 7}`, ref: 'main' }, command: `echo ${i}` });

interface ListBody {
  tasks: Array<{ id: string; createdAt: string; repo: { url: string }; state: string; source: string }>;
  nextCursor: string | null;
}

describe('the task list API on Redis', () => {
  let stack: QueueStack;
  let app: ReturnType<typeof createApp>;

  beforeEach(() => {
    stack = createQueueStack({ batchMax: 16 });
    app = createApp({
      tasks: stack.tasks,
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
      config: {
        auth: { tokens: [TOKEN], usingDevToken: false },
        http: { publicUrl: undefined, bodyLimitBytes: 1024 * 1024 },
      },
    });
  });
  afterEach(() => stack.close());

  const page = async (query: string): Promise<ListBody> => {
    const res = await app.request(`/api/v1/tasks?${query}`, { headers: AUTH });
    expect(res.status).toBe(200);
    return (await res.json()) as ListBody;
  };

  it('loses and repeats no task while 500 tasks are added during paging', async () => {
    const before: string[] = [];
    for (let i = 0; i < 300; i++) before.push((await stack.tasks.submit(spec(i))).id);

    let adding = true;
    const added: string[] = [];
    const adder = (async () => {
      for (let i = 0; i < 500; i++) added.push((await stack.tasks.submit(spec(1000 + i))).id);
      adding = false;
    })();

    const seen: string[] = [];
    const createdAt: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let pagesWhileAdding = 0;
    do {
      const body = await page(`limit=7${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      if (adding) pagesWhileAdding += 1;
      for (const t of body.tasks) {
        seen.push(t.id);
        createdAt.push(Date.parse(t.createdAt));
      }
      cursor = body.nextCursor;
      pages += 1;
      // Let the adder interleave with the reader.
      await new Promise((resolve) => setImmediate(resolve));
    } while (cursor !== null && pages < 1000);
    await adder;

    expect(pagesWhileAdding).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);
    const missing = before.filter((id) => !seen.includes(id));
    expect(missing).toEqual([]);
    // Everything seen is either from before or one of the new tasks, and the order is newest first.
    const known = new Set([...before, ...added]);
    expect(seen.every((id) => known.has(id))).toBe(true);
    expect(createdAt).toEqual([...createdAt].sort((a, b) => b - a));
    // Nothing was dropped from the index itself: a fresh walk sees all 800.
    const all: string[] = [];
    cursor = null;
    do {
      const body = await page(`limit=100${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      all.push(...body.tasks.map((t) => t.id));
      cursor = body.nextCursor;
    } while (cursor !== null);
    expect(all.length).toBe(800);
    expect(new Set(all)).toEqual(known);
  });

  it('filters by state, repository, source and time, and pages filtered results', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await stack.tasks.submit(spec(i))).id);
    const cancelled = ids.slice(0, 5);
    for (const id of cancelled) await stack.tasks.cancel(id);

    const byState = await page('state=cancelled&limit=100');
    expect(byState.tasks.map((t) => t.id).sort()).toEqual([...cancelled].sort());
    expect(byState.tasks.every((t) => t.state === 'cancelled')).toBe(true);

    const byRepo: string[] = [];
    let cursor: string | null = null;
    do {
      const body = await page(`repo=REPO-3&limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      expect(body.tasks.length).toBeLessThanOrEqual(2);
      byRepo.push(...body.tasks.map((t) => t.id));
      cursor = body.nextCursor;
    } while (cursor !== null);
    expect(byRepo.sort()).toEqual(ids.filter((_, i) => i % 7 === 3).sort());

    expect((await page('source=github')).tasks).toEqual([]);
    expect((await page('source=api&limit=100')).tasks).toHaveLength(30);
    expect((await page(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).tasks).toEqual([]);
  });

  it('answers 400 naming the field for a bad cursor, limit or filter', async () => {
    for (const [query, field] of [
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['state=done', 'state'],
      ['source=gitlab', 'source'],
      ['since=yesterday', 'since'],
    ] as const) {
      const res = await app.request(`/api/v1/tasks?${query}`, { headers: AUTH });
      expect(res.status, query).toBe(400);
      const body = (await res.json()) as { error: { details: { issues: Array<{ field: string }> } } };
      expect(body.error.details.issues.map((i) => i.field)).toContain(field);
    }
    expect((await app.request('/api/v1/tasks')).status).toBe(401);
  });

  it('keeps the index bounded: entries older than the retention are trimmed on write', async () => {
    const short = createQueueStack({ retentionSeconds: 60 });
    try {
      const old = '00000000-0000-4000-8000-000000000001';
      await short.store.create(old, spec(1), new Date(Date.now() - 120_000).toISOString());
      const fresh = await short.tasks.submit(spec(2));
      expect(await short.redis.zscore(short.store.index.key, old)).toBeNull();
      expect(await short.redis.zrange(short.store.index.key, '0', '-1')).toEqual([fresh.id]);
      // Deleting a task removes it from the index too.
      await short.store.delete([fresh.id]);
      expect(await short.redis.zcard(short.store.index.key)).toBe(0);
    } finally {
      await short.close();
    }
  });

  it('counts states over a window and reports the queue in /api/v1/stats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await stack.tasks.submit(spec(i))).id);
    await stack.tasks.cancel(ids[0]!);
    await stack.store.transition(ids[1]!, ['queued'], {
      state: 'succeeded',
      result: { outcome: 'fixed', fixer: 'prettier', patch: '', patchTruncated: false, commands: [] },
    });
    const res = await app.request('/api/v1/stats?windowSeconds=3600', { headers: AUTH });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as Record<string, any>;
    expect(stats.total).toBe(6);
    expect(stats.states).toMatchObject({ queued: 4, cancelled: 1, succeeded: 1 });
    expect(stats.outcomes).toMatchObject({ fixed: 1 });
    expect(stats.fixers).toEqual([{ fixer: 'prettier', total: 1, fixed: 1 }]);
    expect(stats.queue.waiting).toBe(5);
    expect(stats.activeSandboxes).toBe(0);
    expect((await app.request('/api/v1/stats?windowSeconds=5', { headers: AUTH })).status).toBe(400);
    expect((await app.request('/api/v1/stats')).status).toBe(401);
  });
});
