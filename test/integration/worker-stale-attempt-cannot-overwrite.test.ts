// A worker whose attempt was taken over (its job lock lapsed and a newer attempt owns the task)
// must not overwrite the newer attempt's state: its writes are refused, logged and counted, and it
// stops. Here the takeover is the newer attempt's ownership write, made while the pipeline runs.
import { describe, expect, it } from 'vitest';
import type { FixResult } from '../../src/task.js';
import type { FixPipeline, WorkerMetrics } from '../../workers/worker.js';
import { specFor } from '../support/fix-pipeline.js';
import { captureLogger, startLocalProvider, waitUntil } from '../support/local-sandbox.js';
import { createQueueStack, startStackWorker, useWorkerStack } from '../support/queue-stack.js';

describe('a stale attempt', () => {
  const { fixtures, slot } = useWorkerStack();

  it('cannot overwrite the state of the attempt that took its task over', async () => {
    const s = createQueueStack({ attempts: 1 });
    slot.stack = s;
    const refused: string[] = [];
    const metrics: WorkerMetrics = {
      taskFinished: () => undefined,
      sandboxReady: () => undefined,
      writeRefused: (reason) => void refused.push(reason),
    };
    const { logger, records } = captureLogger();
    const result: FixResult = {
      outcome: 'not_reproduced',
      fixer: null,
      patch: '',
      patchTruncated: false,
      commands: [],
    };
    const pipeline: FixPipeline = async (ctx) => {
      await ctx.setPhase('cloning');
      // A second attempt (another worker) takes the task over and starts running it.
      await s.store.transition(ctx.taskId, ['running'], { owner: 'the-newer-attempt', phase: 'reproducing' });
      return result;
    };
    slot.worker = await startStackWorker(s, {
      sandboxes: (await startLocalProvider()).provider,
      pipeline,
      metrics,
      logger,
    });
    const { id } = await s.tasks.submit(specFor(await fixtures.repo('passing')));

    await waitUntil(
      () => records.some((r) => r.msg === 'task_attempt_superseded' && r.taskId === id),
      'the stale attempt to stop',
    );
    expect(await s.tasks.get(id)).toMatchObject({ state: 'running', phase: 'reproducing', result: null, error: null });
    expect(refused).toEqual(['fenced']);
    expect(records.find((r) => r.msg === 'task_write_refused')).toMatchObject({
      taskId: id,
      reason: 'fenced',
      state: 'running',
      phase: 'reporting',
    });
  });
});
