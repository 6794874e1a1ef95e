// The worker's hook seam that the GitHub reporting plugs into, on real Redis and the real local
// sandbox, with the pipeline injected (as the worker allows) so each case is exact: the resolved
// spec is what runs and is recorded, a per-task token goes to the pipeline and is redacted, what
// onFinish returns is kept with the result, and a failing onFinish never costs the result.
import { afterEach, describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.js';
import type { FixResult, QueuedTaskSpec, TaskRecord, TaskSpec } from '../../src/task.js';
import type { FixPipeline, FixWorker, TaskEnd, TaskHooks } from '../../workers/worker.js';
import { startLocalProvider } from '../support/local-sandbox.js';
import { createQueueStack, runToEnd, startStackWorker, type QueueStack } from '../support/queue-stack.js';

const TASK_TOKEN = 'ghs_per_task_token_0123456789';
const QUEUED: QueuedTaskSpec = { repo: { url: 'https://github.com/o/r.git', ref: 'a'.repeat(40) } };
const FIXED: FixResult = {
  outcome: 'fixed',
  fixer: 'prettier',
  patch: 'diff --git a/x b/x\n',
  patchTruncated: false,
  commands: [],
};

describe('worker task hooks', () => {
  let stack: QueueStack;
  let worker: FixWorker;
  afterEach(async () => {
    await worker?.stop();
    await stack?.close();
  });

  async function start(pipeline: FixPipeline, hooks: TaskHooks): Promise<void> {
    stack = createQueueStack({ attempts: 1 });
    worker = await startStackWorker(stack, {
      sandboxes: (await startLocalProvider()).provider,
      pipeline,
      hooks,
      worker: { concurrency: 1, maxConcurrentSandboxes: 2, drainSeconds: 5, lockMs: 10_000, stalledIntervalMs: 5000 },
    });
  }

  const run = (spec: QueuedTaskSpec): Promise<TaskRecord> => runToEnd(stack, spec, 60_000);

  it('runs and records the spec onStart resolved, hands over its token, redacts it, and keeps what onFinish returns', async () => {
    const seen: Array<{ spec: TaskSpec; gitToken: string | undefined }> = [];
    const ends: TaskEnd[] = [];
    await start(
      async (ctx) => {
        seen.push({ spec: ctx.spec, gitToken: ctx.gitToken });
        ctx.log('stdout', `cloning with ${TASK_TOKEN}`);
        return FIXED;
      },
      {
        onStart: async (ctx) => ({
          spec: { ...ctx.spec, command: 'npm test', commandSource: 'default', timeoutSeconds: 60 },
          gitToken: TASK_TOKEN,
          secrets: [TASK_TOKEN],
        }),
        onFinish: async (_ctx, end) => {
          ends.push(end);
          return { commandSource: 'default' };
        },
      },
    );
    const task = await run(QUEUED);
    expect(seen).toEqual([
      {
        spec: expect.objectContaining({ command: 'npm test', commandSource: 'default', timeoutSeconds: 60 }),
        gitToken: TASK_TOKEN,
      },
    ]);
    expect(task).toMatchObject({
      state: 'succeeded',
      spec: { command: 'npm test', commandSource: 'default' },
      result: { outcome: 'fixed', commandSource: 'default' },
    });
    expect(ends).toEqual([
      expect.objectContaining({
        state: 'succeeded',
        spec: expect.objectContaining({ command: 'npm test' }),
        result: expect.objectContaining({ outcome: 'fixed' }),
      }),
    ]);
    const { lines } = await stack.tasks.readLogs(task.id, 0, 1000);
    const text = lines.map((l) => l.text).join('\n');
    expect(text).toContain('cloning with [redacted]');
    expect(text).not.toContain(TASK_TOKEN);
  });

  it('fails the task on a TaskError from onStart, and still lets onFinish report it', async () => {
    const ends: TaskEnd[] = [];
    let ran = false;
    await start(
      async () => {
        ran = true;
        return FIXED;
      },
      {
        onStart: async () => {
          throw new TaskError('ci_fixer_yml_invalid', '.ci-fixer.yml line 3: bad');
        },
        onFinish: async (_ctx, end) => void ends.push(end),
      },
    );
    const task = await run(QUEUED);
    expect(ran).toBe(false);
    expect(task).toMatchObject({ state: 'failed', error: { code: 'ci_fixer_yml_invalid' } });
    expect(task.error?.message).toMatch(/^\.ci-fixer\.yml line 3: bad/);
    expect(ends).toEqual([
      expect.objectContaining({ state: 'failed', error: expect.objectContaining({ code: 'ci_fixer_yml_invalid' }) }),
    ]);
  });

  it('keeps the result when onFinish throws', async () => {
    await start(async () => FIXED, {
      onStart: async (ctx) => ({ spec: { ...ctx.spec, command: 'true' } }),
      onFinish: async () => {
        throw new Error('GitHub exploded');
      },
    });
    const task = await run(QUEUED);
    expect(task).toMatchObject({ state: 'succeeded', error: null, result: { outcome: 'fixed', patch: FIXED.patch } });
  });

  it('fails a task that has no command when nothing resolves one', async () => {
    await start(async () => FIXED, { onStart: async () => undefined });
    const task = await run(QUEUED);
    expect(task).toMatchObject({ state: 'failed', error: { code: 'command_unresolved' } });
  });
});
