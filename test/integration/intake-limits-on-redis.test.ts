// Intake limits on the real Redis queue: a per-token rate shared by every API replica (429 with
// Retry-After), a cap on queued tasks (429), and the webhook's own cap (503, so GitHub redelivers).
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createIntakeLimits, type IntakeLimitsOptions } from '../../src/api/intake-limits.js';
import { createMetrics } from '../../src/metrics.js';
import { failedWorkflowRun, post, signedDelivery, WEBHOOK_SECRET } from '../support/github-payloads.js';
import { createQueueStack, type QueueStack } from '../support/queue-stack.js';

const SPEC = { repo: { url: 'file:///tmp/nowhere', ref: 'main' }, command: 'npm test' };
const as = (token: string) => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });

describe('intake limits on Redis', () => {
  let stack: QueueStack;
  beforeEach(() => {
    stack = createQueueStack();
  });
  afterEach(() => stack.close());

  /** One API replica; several built on the same stack share the Redis counters. */
  const replica = (limits: Partial<IntakeLimitsOptions>) =>
    createApp({
      tasks: stack.tasks,
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
      config: {
        auth: { tokens: ['alice:alice-secret', 'bob:bob-secret'], usingDevToken: false },
        http: { publicUrl: undefined, bodyLimitBytes: 1024 * 1024 },
        github: {
          webhookSecrets: [WEBHOOK_SECRET],
          webhookBodyLimitBytes: 1024 * 1024,
          allow: [],
          checkName: 'ci-fixer',
          app: undefined,
        },
      },
      limits: createIntakeLimits({
        redis: stack.redis,
        prefix: stack.prefix,
        perTokenPerMinute: 0,
        maxQueued: 0,
        webhookMaxQueued: 0,
        countsCacheMs: 0,
        counts: () => stack.tasks.counts(),
        ...limits,
      }),
    });
  const submit = (app: ReturnType<typeof replica>, token: string) =>
    app.request('/api/v1/tasks', { method: 'POST', headers: as(token), body: JSON.stringify(SPEC) });

  it('limits each token per minute across replicas, answering 429 with Retry-After', async () => {
    const [one, two] = [replica({ perTokenPerMinute: 3 }), replica({ perTokenPerMinute: 3 })];
    const statuses = [];
    for (const app of [one, two, one]) statuses.push((await submit(app, 'alice-secret')).status);
    expect(statuses).toEqual([202, 202, 202]);
    const limited = await submit(two, 'alice-secret');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('too_many_requests');
    // Another token has its own budget.
    expect((await submit(one, 'bob-secret')).status).toBe(202);
    expect((await stack.tasks.counts()).waiting).toBe(4);
  });

  it('answers 429 once MAX_QUEUED_TASKS tasks are queued', async () => {
    const app = replica({ maxQueued: 2 });
    expect((await submit(app, 'alice-secret')).status).toBe(202);
    expect((await submit(app, 'bob-secret')).status).toBe(202);
    const full = await submit(app, 'alice-secret');
    expect(full.status).toBe(429);
    expect(full.headers.get('Retry-After')).toBe('30');
    expect((await stack.tasks.counts()).waiting).toBe(2);
  });

  it('answers a webhook delivery 503 with Retry-After above its own cap', async () => {
    const app = replica({ maxQueued: 1, webhookMaxQueued: 2 });
    await stack.tasks.submit(SPEC);
    // Above the API cap, below the webhook's: GitHub's failures still get in.
    expect((await submit(app, 'alice-secret')).status).toBe(429);
    const first = await app.request(
      '/webhooks/github',
      post(await signedDelivery('workflow_run', failedWorkflowRun(), WEBHOOK_SECRET)),
    );
    expect(first.status).toBe(202);
    const payload = failedWorkflowRun();
    payload.workflow_run.head_sha = 'b'.repeat(40);
    const refused = await app.request(
      '/webhooks/github',
      post(await signedDelivery('workflow_run', payload, WEBHOOK_SECRET)),
    );
    expect(refused.status).toBe(503);
    expect(refused.headers.get('Retry-After')).toBe('30');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('overloaded');
    expect((await stack.tasks.counts()).waiting).toBe(2);
  });
});
