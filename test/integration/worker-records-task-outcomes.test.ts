// The worker on real Redis with the real local sandbox and fix pipeline: each outcome ends in the
// right state with the right result, and infrastructure errors are retried while task errors are not.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../src/errors.js';
import type { SandboxProvider } from '../../src/sandbox/types.js';
import type { TaskRecord, TaskSpec } from '../../src/task.js';
import type { FixWorker, WorkerMetrics } from '../../workers/worker.js';
import { Fixtures, specFor } from '../support/fix-pipeline.js';
import { startLocalProvider } from '../support/local-sandbox.js';
import { createQueueStack, runToEnd, startStackWorker, type QueueStack } from '../support/queue-stack.js';

/** A provider whose first `failures` creates fail like an unreachable cluster would. */
function flaky(inner: SandboxProvider, failures: number): SandboxProvider {
  let left = failures;
  return {
    kind: inner.kind,
    start: () => inner.start(),
    stop: () => inner.stop(),
    create: (request) =>
      left-- > 0
        ? Promise.reject(new InfrastructureError('sandbox_unavailable', 'cluster unreachable'))
        : inner.create(request),
  };
}

describe('worker task outcomes', () => {
  const fixtures = new Fixtures();
  let stack: QueueStack;
  let worker: FixWorker;
  const finished: string[] = [];

  const metrics: WorkerMetrics = {
    taskFinished: (outcome) => void finished.push(outcome),
    sandboxReady: () => undefined,
    writeRefused: () => undefined,
  };
  // The worker owns its provider's lifecycle (stop() stops it), so each worker gets a fresh one.
  const startWorker = async (wrap: (p: SandboxProvider) => SandboxProvider = (p) => p) => {
    worker = await startStackWorker(stack, { sandboxes: wrap((await startLocalProvider()).provider), metrics });
  };
  const run = (spec: TaskSpec): Promise<TaskRecord> => runToEnd(stack, spec);

  afterEach(async () => {
    await worker?.stop();
    await stack?.close();
  });
  afterAll(() => fixtures.cleanup());

  it('fixed, not_fixed and not_reproduced end succeeded with the outcome, fixer and commands', async () => {
    stack = createQueueStack();
    await startWorker();
    const [fixed, notFixed, notReproduced] = await Promise.all([
      run(specFor(await fixtures.repo('prettier'))),
      run(specFor(await fixtures.repo('unfixable'))),
      run(specFor(await fixtures.repo('passing'))),
    ]);
    expect(fixed).toMatchObject({ state: 'succeeded', error: null, result: { outcome: 'fixed', fixer: 'prettier' } });
    expect(fixed.result?.patch).toMatch(/^diff --git/m);
    expect(fixed.result?.commands.at(-1)).toMatchObject({ exitCode: 0, timedOut: false });
    expect(notFixed).toMatchObject({ state: 'succeeded', result: { outcome: 'not_fixed', fixer: null, patch: '' } });
    expect(notFixed.result?.commands.some((c) => c.exitCode !== 0)).toBe(true);
    expect(notReproduced).toMatchObject({ state: 'succeeded', result: { outcome: 'not_reproduced', fixer: null } });
    expect(finished.slice(-3).sort()).toEqual(['fixed', 'not_fixed', 'not_reproduced']);
  });

  it('a task error (unknown ref) ends failed at once with outcome error, without a retry', async () => {
    stack = createQueueStack();
    await startWorker();
    const repo = await fixtures.repo('passing');
    const task = await run({ repo: { url: repo.url, ref: 'no-such-branch' }, command: repo.command });
    expect(task).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { code: 'ref_not_found' },
      result: { outcome: 'error' },
    });
    const job = await stack.tasks.queue.getJob(task.id);
    expect(job?.attemptsMade).toBe(1);
    expect(await job?.getState()).toBe('failed');
  });

  it('an infrastructure error is retried with backoff and the task then finishes', async () => {
    stack = createQueueStack({ attempts: 3, backoffMs: 100 });
    await startWorker((p) => flaky(p, 1));
    const task = await run(specFor(await fixtures.repo('passing')));
    expect(task).toMatchObject({ state: 'succeeded', attempts: 2, result: { outcome: 'not_reproduced' } });
    const { lines } = await stack.tasks.readLogs(task.id, 0, 1000);
    expect(lines.map((l) => l.text)).toContain('attempt 1 of 3 failed: cluster unreachable; retrying');
  });

  it('an infrastructure error that outlasts every attempt ends failed with its code', async () => {
    stack = createQueueStack({ attempts: 2, backoffMs: 50 });
    await startWorker((p) => flaky(p, 5));
    const task = await run(specFor(await fixtures.repo('passing')));
    expect(task).toMatchObject({
      state: 'failed',
      attempts: 2,
      error: { code: 'sandbox_unavailable', message: 'cluster unreachable' },
      result: { outcome: 'error' },
    });
  });
});
