// The autoscaling figure on the real Redis/BullMQ queue: waiting, prioritized and due delayed
// jobs are backlog, a delay still running is not, active jobs add to it; GET /scaling and the
// ci_fixer_queue_demand gauge report the same number, and an unreadable queue is an error, not 0.
import { Worker } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOpsApp } from '../../src/api/ops-app.js';
import { createMetrics } from '../../src/metrics.js';
import { scalingFigure, type ScalingFigure } from '../../src/queue/scaling.js';
import { createQueueStack, type QueueStack } from '../support/queue-stack.js';

const DATA = { taskId: 'x', spec: { repo: { url: 'file:///tmp/nowhere', ref: 'main' }, command: 'true' } };

async function demandGauge(metrics: ReturnType<typeof createMetrics>): Promise<number | undefined> {
  const json = await metrics.registry.getMetricsAsJSON();
  return json.find((m) => m.name === 'ci_fixer_queue_demand')?.values[0]?.value;
}

describe('the autoscaling figure', () => {
  let stack: QueueStack;
  let worker: Worker | undefined;

  beforeEach(() => {
    stack = createQueueStack();
  });
  afterEach(async () => {
    await worker?.close(true);
    worker = undefined;
    await stack.close();
  });

  it('counts waiting, prioritized, due delayed and active jobs, and not a delay still running', async () => {
    const q = stack.tasks.queue;
    await q.add('fix', DATA, { jobId: 'w1' });
    await q.add('fix', DATA, { jobId: 'w2' });
    await q.add('fix', DATA, { jobId: 'p1', priority: 5 });
    await q.add('fix', DATA, { jobId: 'later', delay: 3_600_000 });
    // A bare worker connection takes one job to active without processing it.
    worker = new Worker(q.name, null, { connection: stack.redis.duplicate(), prefix: stack.prefix, autorun: false });
    const job = await worker.getNextJob('test-token');
    expect(job?.id).toBe('w1');
    // A retry whose backoff has passed; only a worker fetching a job would promote it, and none
    // does now (as with a Deployment scaled to zero).
    await q.add('fix', DATA, { jobId: 'due', delay: 1 });
    await new Promise((r) => setTimeout(r, 20));

    const figure = await stack.tasks.scaling();
    expect(figure).toEqual({ waiting: 1, prioritized: 1, delayedDue: 1, active: 1, demand: 4 });
    expect(await q.getDelayedCount()).toBe(2);

    const metrics = createMetrics();
    metrics.setScalingSource({ queue: q.name, read: () => stack.tasks.scaling() });
    const ops = createOpsApp({ tasks: stack.tasks, metrics, scaling: () => stack.tasks.scaling() });
    const res = await ops.request('/scaling');
    expect(res.status).toBe(200);
    const body = (await res.json()) as ScalingFigure;
    expect(body).toEqual(figure);
    expect(await demandGauge(metrics)).toBe(4);
    expect(await (await ops.request('/metrics')).text()).toContain('ci_fixer_queue_demand{queue="fix-tasks"} 4');
  });

  it('is backlog plus active: active is the floor', () => {
    expect(scalingFigure({ waiting: 0, prioritized: 0, delayedDue: 0, active: 3 }).demand).toBe(3);
    expect(scalingFigure({ waiting: 100, prioritized: 2, delayedDue: 1, active: 3 }).demand).toBe(106);
  });

  it('answers 503 and drops the gauge when the counts cannot be read, never a 0', async () => {
    const failing = () => Promise.reject(new Error('redis gone'));
    const metrics = createMetrics();
    metrics.setScalingSource({ queue: 'fix-tasks', read: failing });
    const ops = createOpsApp({ tasks: stack.tasks, metrics, scaling: failing });
    const res = await ops.request('/scaling');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'not_ready' } });
    expect(await demandGauge(metrics)).toBeUndefined();
  });
});
