// The worker (in process, on real Redis) with the kubernetes driver on the test cluster: the real
// fix pipeline runs in a sandbox Job, and a full sandbox quota makes the task wait, not fail; a
// quota smaller than one sandbox fails it, with the quota's message, once the wait bound is spent.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { taskHeldByWorker } from '../../src/queue/task-activity.js';
import type { TaskRecord, TaskSpec } from '../../src/task.js';
import type { FixWorker } from '../../workers/worker.js';
import { Fixtures, specFor } from '../support/fix-pipeline.js';
import { k8sClients, testJob, uniqueName, waitFor } from '../support/k8s.js';
import { sandboxJobs, startProvider, useSandboxNamespace } from '../support/k8s-sandbox.js';
import { createQueueStack, startStackWorker, untilFinal, type QueueStack } from '../support/queue-stack.js';
import { connect } from '../support/redis.js';

describe('worker with the kubernetes sandbox driver', () => {
  const ns = useSandboxNamespace('sbx-worker');
  const fixtures = new Fixtures();
  const k = k8sClients();
  let stack: QueueStack | undefined;
  let worker: FixWorker | undefined;

  async function startWorker(s: QueueStack, capacityWaitMaxSeconds = 600): Promise<void> {
    const isTaskActive = taskHeldByWorker({ redis: s.redis, prefix: s.settings.prefix, queueName: s.settings.name });
    const { provider } = await startProvider(ns.name, {}, { isTaskActive });
    worker = await startStackWorker(s, {
      sandboxes: provider,
      tasks: { defaultTimeoutSeconds: 300, patchMaxBytes: 1024 * 1024 },
      worker: {
        concurrency: 2,
        maxConcurrentSandboxes: 4,
        drainSeconds: 5,
        lockMs: 10_000,
        stalledIntervalMs: 5000,
        capacityWaitMaxSeconds,
      },
    });
  }

  const finished = (id: string, seen?: (t: TaskRecord) => void): Promise<TaskRecord> =>
    untilFinal(stack!, id, 150_000, seen);

  afterEach(async () => {
    await worker?.stop();
    await stack?.close();
    worker = undefined;
    stack = undefined;
  });
  afterAll(() => fixtures.cleanup());

  it('fixes a prettier failure in a sandbox Job and deletes the Job afterwards', async () => {
    stack = createQueueStack();
    await startWorker(stack);
    const spec: TaskSpec = specFor(await fixtures.repo('prettier'));
    const { id } = await stack.tasks.submit(spec);
    const task = await finished(id);
    expect(task).toMatchObject({ state: 'succeeded', result: { outcome: 'fixed', fixer: 'prettier' } });
    expect(task.result?.patch).toMatch(/^diff --git/m);
    const logs = await stack.store.readLog(id, 0, 10_000);
    expect(logs.lines.some((l) => l.text === 'sandbox ready (kubernetes)')).toBe(true);
    // Proven in a second Job of the task, on a fresh checkout of the same commit.
    expect(task.result?.proof).toMatchObject({ command: spec.command, exitCode: 0 });
    expect(task.result?.proof?.sandbox).toMatch(/^kubernetes:.*-p$/);
    expect(logs.lines.some((l) => /^proof: a fresh checkout of [0-9a-f]{40} in kubernetes:.*-p$/.test(l.text))).toBe(
      true,
    );
    expect((await sandboxJobs(ns.name)).filter((j) => j.taskId === id)).toEqual([]);
  });

  it('keeps a task waiting while the sandbox quota is full, then runs it', async () => {
    await k.core.createNamespacedResourceQuota({
      namespace: ns.name,
      body: { metadata: { name: 'one-job' }, spec: { hard: { 'count/jobs.batch': '1' } } },
    });
    await waitFor('the quota to be accounted', async () => {
      const quota = await k.core.readNamespacedResourceQuota({ name: 'one-job', namespace: ns.name });
      return quota.status?.hard?.['count/jobs.batch'] === '1' ? true : undefined;
    });
    const filler = uniqueName('filler');
    await k.batch.createNamespacedJob({ namespace: ns.name, body: testJob(filler) });
    try {
      stack = createQueueStack({ attempts: 1 });
      await startWorker(stack);
      const { id } = await stack.tasks.submit(specFor(await fixtures.repo('passing')));
      const waiting = await waitFor(`task ${id} to wait for capacity`, async () => {
        const logs = await stack!.store.readLog(id, 0, 1000);
        return logs.lines.find((l) => l.text.startsWith('waiting for capacity'));
      });
      expect(waiting.text).toContain('exceeded quota');
      // One attempt only, yet the task is not failed: it waits in place for room.
      expect((await stack.tasks.get(id))?.state).toBe('running');

      await k.batch.deleteNamespacedJob({
        name: filler,
        namespace: ns.name,
        body: { propagationPolicy: 'Background' },
      });
      const task = await finished(id);
      expect(task).toMatchObject({ state: 'succeeded', result: { outcome: 'not_reproduced' } });
    } finally {
      await k.core.deleteNamespacedResourceQuota({ name: 'one-job', namespace: ns.name });
      await k.batch
        .deleteNamespacedJob({ name: filler, namespace: ns.name, body: { propagationPolicy: 'Background' } })
        .catch(() => undefined);
    }
  });

  it('fails a task with the quota message when the quota is smaller than one sandbox', async () => {
    // The sandbox asks for 100m CPU; this quota allows 10m, so no pod can ever be created.
    await k.core.createNamespacedResourceQuota({
      namespace: ns.name,
      body: { metadata: { name: 'tiny-cpu' }, spec: { hard: { 'requests.cpu': '10m' } } },
    });
    await waitFor('the quota to be accounted', async () => {
      const quota = await k.core.readNamespacedResourceQuota({ name: 'tiny-cpu', namespace: ns.name });
      return quota.status?.hard?.['requests.cpu'] === '10m' ? true : undefined;
    });
    try {
      stack = createQueueStack({ attempts: 3 });
      await startWorker(stack, 5);
      const { id } = await stack.tasks.submit(specFor(await fixtures.repo('passing')));
      const task = await finished(id);
      expect(task).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'sandbox_capacity_exhausted' } });
      expect(task.error?.message).toMatch(/^no sandbox capacity within 5 s: .*exceeded quota: tiny-cpu/);
      expect((await sandboxJobs(ns.name)).filter((j) => j.taskId === id)).toEqual([]);
    } finally {
      await k.core.deleteNamespacedResourceQuota({ name: 'tiny-cpu', namespace: ns.name });
    }
  });

  it('reaps the Job of a task no worker holds any more', async () => {
    stack = createQueueStack();
    const redis = connect();
    try {
      // An orphan: a sandbox Job whose task is not held by any worker (as after a SIGKILL). Both
      // sandboxes exist before the reaping provider starts: its reaper ticks at start, and one
      // running during another process's create() would find that task unheld too.
      const orphanTask = randomUUID();
      const heldTask = randomUUID();
      const other = await startProvider(ns.name);
      const orphan = await other.provider.create({ taskId: orphanTask, timeoutSeconds: 60 });
      const held = await other.provider.create({ taskId: heldTask, timeoutSeconds: 60 });
      await redis.set(`${stack.settings.prefix}:${stack.settings.name}:${heldTask}:lock`, 'token', 'PX', 60_000);
      const isTaskActive = taskHeldByWorker({ redis, prefix: stack.settings.prefix, queueName: stack.settings.name });
      // Its start tick and this pass are serialised; whichever reaps the orphan logs it.
      const { provider, logs } = await startProvider(ns.name, { reaperIntervalSeconds: 3600 }, { isTaskActive });
      try {
        await provider.reap();
        const reaped = logs.filter((l) => l.msg === 'sandbox_job_reaped').map((l) => l.taskId);
        expect(reaped).toContain(orphanTask);
        expect(reaped).not.toContain(heldTask);
        const left = (await sandboxJobs(ns.name)).map((j) => j.taskId);
        expect(left).not.toContain(orphanTask);
        expect(left).toContain(heldTask);
        await orphan.dispose();
        await held.dispose();
        await other.provider.stop();
      } finally {
        await provider.stop();
      }
    } finally {
      redis.disconnect();
    }
  });
});
