// A full sandbox quota makes a task wait, not fail, but not forever: past the bound
// (CAPACITY_WAIT_MAX_SECONDS) the task fails with the quota's own message. The start hooks (the
// GitHub check run, the resolved command) run once per attempt however long it waits.
import { afterEach, describe, expect, it } from 'vitest';
import { CapacityError } from '../../src/errors.js';
import type { SandboxProvider } from '../../src/sandbox/types.js';
import type { TaskHooks } from '../../workers/worker.js';
import { specFor } from '../support/fix-pipeline.js';
import { startLocalProvider } from '../support/local-sandbox.js';
import { createQueueStack, startStackWorker, untilFinal, useWorkerStack } from '../support/queue-stack.js';

const QUOTA_MESSAGE =
  'sandbox quota exhausted: exceeded quota: sandbox-quota, requested: requests.cpu=100m, used: requests.cpu=0, limited: requests.cpu=10m';

/** A provider whose first `full` creates answer like a namespace whose quota is full. */
function quotaFull(inner: SandboxProvider, full: number): SandboxProvider & { creates: () => number } {
  let calls = 0;
  return {
    kind: inner.kind,
    start: () => inner.start(),
    stop: () => inner.stop(),
    create: (request) =>
      ++calls <= full ? Promise.reject(new CapacityError(QUOTA_MESSAGE, 100)) : inner.create(request),
    creates: () => calls,
  };
}

describe('waiting for sandbox capacity', () => {
  const { fixtures, slot } = useWorkerStack();
  let starts = 0;
  const hooks: TaskHooks = {
    onStart: async () => {
      starts += 1;
      return undefined;
    },
  };
  const workerSettings = (capacityWaitMaxSeconds: number) => ({
    concurrency: 1,
    maxConcurrentSandboxes: 4,
    drainSeconds: 5,
    lockMs: 10_000,
    stalledIntervalMs: 5000,
    capacityWaitMaxSeconds,
  });

  afterEach(() => {
    starts = 0;
  });

  it('fails the task with the quota message once the bound is spent, having run the start hooks once', async () => {
    const stack = createQueueStack({ attempts: 3 });
    slot.stack = stack;
    const sandboxes = quotaFull((await startLocalProvider()).provider, Number.POSITIVE_INFINITY);
    slot.worker = await startStackWorker(stack, { sandboxes, hooks, worker: workerSettings(1) });
    const { id } = await stack.tasks.submit(specFor(await fixtures.repo('passing')));

    const task = await untilFinal(stack, id, 30_000);
    expect(task).toMatchObject({ state: 'failed', attempts: 1, error: { code: 'sandbox_capacity_exhausted' } });
    expect(task.error?.message).toContain(QUOTA_MESSAGE);
    expect(sandboxes.creates()).toBeGreaterThan(1);
    expect(starts).toBe(1);
  });

  it('runs the task once room appears, without a second start or a spent attempt', async () => {
    const stack = createQueueStack({ attempts: 1 });
    slot.stack = stack;
    const sandboxes = quotaFull((await startLocalProvider()).provider, 3);
    slot.worker = await startStackWorker(stack, { sandboxes, hooks, worker: workerSettings(60) });
    const { id } = await stack.tasks.submit(specFor(await fixtures.repo('passing')));

    const task = await untilFinal(stack, id, 60_000);
    expect(task).toMatchObject({ state: 'succeeded', attempts: 1, error: null, result: { outcome: 'not_reproduced' } });
    const log = await stack.store.readLog(id, 0, 1000);
    expect(log.lines.filter((l) => l.text.startsWith('waiting for capacity: sandbox quota exhausted'))).toHaveLength(3);
    expect(starts).toBe(1);
  });
});
