// POST /api/v1/tasks with an Idempotency-Key: a client that retries after a lost answer gets the
// task its first request created (same id, same body), not a second task. Keys are per token,
// kept in Redis for the task retention (a TTL), and bounded in length. Real Redis and BullMQ.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { createApp } from '../../src/api/app.js';
import { buildApiOver } from '../support/api-harness.js';
import { createQueueStack, type QueueStack } from '../support/queue-stack.js';

const TOKENS = ['alice:alice-tok:submit+read:own', 'bob:bob-tok:submit+read:own'];
const SPEC = { repo: { url: 'https://example.test/org/repo.git', ref: 'main' }, command: 'npm test' };

describe('Idempotency-Key on task submission', () => {
  let stack: QueueStack;
  let app: ReturnType<typeof createApp>;

  beforeAll(() => {
    stack = createQueueStack({ retentionSeconds: 3600 });
    app = buildApiOver(stack.tasks, TOKENS);
  });
  afterAll(() => stack?.close());

  const submit = (token: string, key?: string) =>
    app.request('/api/v1/tasks', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        ...(key === undefined ? {} : { 'Idempotency-Key': key }),
      },
      body: JSON.stringify(SPEC),
    });

  it('answers a repeated key from the same token with the same task and body, storing one task', async () => {
    const key = 'retry-7f3a9c';
    const answers = await Promise.all([submit('alice-tok', key), submit('alice-tok', key), submit('alice-tok', key)]);
    const later = await submit('alice-tok', key);
    const bodies = await Promise.all(
      [...answers, later].map(async (res) => ({ status: res.status, body: await res.json() })),
    );
    for (const { status } of bodies) expect([200, 202]).toContain(status);
    const ids = new Set(bodies.map(({ body }) => (body as { id: string }).id));
    expect(ids.size).toBe(1);
    for (const { body } of bodies) expect(body).toEqual(bodies[0]!.body);
    const [id] = [...ids];
    expect(await stack.tasks.queue.getJob(id!)).toBeDefined();
    const listed = await stack.tasks.list({ limit: 100 });
    expect(listed.tasks.filter((t) => t.submittedBy === 'alice')).toHaveLength(1);

    // Kept in Redis with a TTL no longer than the retention.
    const keys = await stack.redis.keys(`${stack.prefix}:idempotency:*`);
    expect(keys).toHaveLength(1);
    const ttl = await stack.redis.ttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('gives another token its own task for the same key, and no key a new task each time', async () => {
    const alice = (await (await submit('alice-tok', 'shared-key')).json()) as { id: string };
    const bob = (await (await submit('bob-tok', 'shared-key')).json()) as { id: string };
    expect(bob.id).not.toBe(alice.id);
    const first = (await (await submit('bob-tok')).json()) as { id: string };
    const second = (await (await submit('bob-tok')).json()) as { id: string };
    expect(second.id).not.toBe(first.id);
  });

  it('refuses a key over 128 characters, or with spaces, with 400 naming the header', async () => {
    for (const key of ['k'.repeat(129), 'two words']) {
      const res = await submit('alice-tok', key);
      expect(res.status).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('idempotency-key');
    }
    expect((await submit('alice-tok', 'k'.repeat(128))).status).toBe(202);
  });
});
