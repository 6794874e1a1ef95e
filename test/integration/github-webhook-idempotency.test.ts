// Redelivery and deduplication on the real Redis/BullMQ queue: the same delivery is the same task;
// another delivery of a failure whose task is still queued or running joins it; a new sha, or the
// same failure after its task finished, gets a new task.
import { Worker } from 'bullmq';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.js';
import { createMetrics } from '../../src/metrics.js';
import { JOB_NAME } from '../../src/queue/task-service.js';
import { failedCheckRun, failedWorkflowRun, post, signedDelivery, WEBHOOK_SECRET } from '../support/github-payloads.js';
import { createQueueStack, type QueueStack } from '../support/queue-stack.js';
import { connect } from '../support/redis.js';

describe('webhook idempotency on the Redis queue', () => {
  let stack: QueueStack;
  let app: ReturnType<typeof createApp>;

  beforeEach(() => {
    stack = createQueueStack();
    app = createApp({
      tasks: stack.tasks,
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
      config: {
        auth: { tokens: ['it-token'], usingDevToken: false },
        http: { publicUrl: undefined, bodyLimitBytes: 1024 * 1024 },
        github: {
          webhookSecrets: [WEBHOOK_SECRET],
          webhookBodyLimitBytes: 1024 * 1024,
          allow: [],
          checkName: 'ci-fixer',
          app: undefined,
        },
      },
    });
  });
  afterEach(() => stack.close());

  async function deliver(event: string, payload: unknown, deliveryId: string): Promise<string> {
    const res = await app.request(
      '/webhooks/github',
      post(await signedDelivery(event, payload, WEBHOOK_SECRET, deliveryId)),
    );
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }

  it('gives a redelivery the task of its first delivery, even after that task started running', async () => {
    const first = await deliver('workflow_run', failedWorkflowRun(), 'delivery-a');
    const again = await deliver('workflow_run', failedWorkflowRun(), 'delivery-a');
    expect(again).toBe(first);
    await stack.store.transition(first, ['queued'], { state: 'running' });
    expect(await deliver('workflow_run', failedWorkflowRun(), 'delivery-a')).toBe(first);
    expect((await stack.tasks.counts()).waiting).toBe(1);
    const record = await stack.tasks.get(first);
    expect(record?.state).toBe('running');
    expect(record?.spec.github?.deliveryId).toBe('delivery-a');
  });

  it('answers concurrent redeliveries of one delivery with one task', async () => {
    const payload = failedWorkflowRun();
    const ids = await Promise.all(Array.from({ length: 10 }, () => deliver('workflow_run', payload, 'delivery-burst')));
    expect(new Set(ids).size).toBe(1);
    expect((await stack.tasks.counts()).waiting).toBe(1);
  });

  it('joins a second delivery of the same failure to the queued task (BullMQ deduplication), also when concurrent', async () => {
    const first = await deliver('check_run', failedCheckRun(), 'check-1');
    const joined = await Promise.all(
      ['check-2', 'check-3', 'check-4'].map((id) => deliver('check_run', failedCheckRun(), id)),
    );
    expect(joined).toEqual([first, first, first]);
    expect((await stack.tasks.counts()).waiting).toBe(1);
    // No stray record was left for the joined deliveries, and their redeliveries still find the task.
    expect(await deliver('check_run', failedCheckRun(), 'check-3')).toBe(first);
    const keys = await stack.redis.keys(`${stack.prefix}:task:*`);
    expect(keys.filter((k) => !k.endsWith(':log'))).toEqual([`${stack.prefix}:task:${first}`]);
  });

  it('gives a failure on a new sha, or of another workflow, a task of its own', async () => {
    const first = await deliver('workflow_run', failedWorkflowRun(), 'w-1');
    const newSha = failedWorkflowRun();
    newSha.workflow_run.head_sha = 'b'.repeat(40);
    const other = failedWorkflowRun();
    other.workflow_run.name = 'release';
    const ids = [await deliver('workflow_run', newSha, 'w-2'), await deliver('workflow_run', other, 'w-3')];
    expect(new Set([first, ...ids]).size).toBe(3);
    expect((await stack.tasks.counts()).waiting).toBe(3);
    const job = await stack.tasks.queue.getJob(ids[0]!);
    expect(job?.data.spec.repo.ref).toBe('b'.repeat(40));
  });

  it('starts a new task for the same failure once the first one has finished', async () => {
    const first = await deliver('workflow_run', failedWorkflowRun(), 'r-1');
    const connection = connect();
    const done = new Promise<void>((resolve) => {
      const worker = new Worker(stack.settings.name, async (job) => job.name === JOB_NAME, {
        connection,
        prefix: stack.prefix,
      });
      worker.on('completed', () => void worker.close().then(() => resolve()));
    });
    await done;
    connection.disconnect();
    const second = await deliver('workflow_run', failedWorkflowRun(), 'r-2');
    expect(second).not.toBe(first);
    expect(await stack.tasks.get(second)).toMatchObject({ state: 'queued' });
  });
});
