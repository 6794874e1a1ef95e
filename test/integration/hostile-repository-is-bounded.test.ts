// What a hostile (or careless) repository's command can make a worker hold stays bounded: 200,000
// untracked files end the task with a clear error instead of a 200,000-entry list in memory, and
// a command that prints 1 GiB runs to its end with the log cut at its cap. Real worker, Redis,
// local sandbox and fix pipeline.
import { describe, expect, it } from 'vitest';
import { TRUNCATION_MARKER } from '../../src/result/task-store.js';
import { specFor } from '../support/fix-pipeline.js';
import { startLocalProvider } from '../support/local-sandbox.js';
import { createQueueStack, startStackWorker, untilFinal, useWorkerStack } from '../support/queue-stack.js';

const LOG_MAX_LINES = 2000;
const LOG_MAX_BYTES = 1024 * 1024;
// Creating and removing 200,000 files takes a while on a busy machine: a bound, not a speed claim.

describe('a hostile repository', () => {
  const { fixtures, slot } = useWorkerStack();
  const start = async () => {
    const stack = createQueueStack({
      attempts: 1,
      logMaxLines: LOG_MAX_LINES,
      logMaxBytes: LOG_MAX_BYTES,
    });
    slot.stack = stack;
    slot.worker = await startStackWorker(stack, {
      sandboxes: (await startLocalProvider()).provider,
      tasks: { defaultTimeoutSeconds: 300, patchMaxBytes: 1024 * 1024 },
    });
    return stack;
  };

  it('with 200,000 untracked files fails the task with too_many_untracked_files', async () => {
    const s = await start();
    // A failure the prettier fixer recognises, so the pipeline goes on to list untracked files.
    const command =
      'mkdir -p gen && (cd gen && seq 1 200000 | xargs touch) && echo "Code style issues found in the above file(s). Forgot to run Prettier?" && exit 1';
    const { id } = await s.tasks.submit(specFor(await fixtures.repo('passing'), { command, timeoutSeconds: 240 }));
    const task = await untilFinal(s, id, 240_000);
    expect(task).toMatchObject({ state: 'failed', error: { code: 'too_many_untracked_files' } });
    expect(task.error?.message).toContain('more than 20000 untracked files');
  }, 300_000);

  it('that prints 1 GiB runs to its end, with the log cut at its cap', async () => {
    const s = await start();
    const command = `yes "$(printf '%01000d' 0)" | head -c ${1024 * 1024 * 1024}`;
    const { id } = await s.tasks.submit(specFor(await fixtures.repo('passing'), { command, timeoutSeconds: 240 }));
    const task = await untilFinal(s, id, 240_000);
    expect(task).toMatchObject({ state: 'succeeded', result: { outcome: 'not_reproduced' } });
    const log = await s.store.readLog(id, 0, LOG_MAX_LINES + 10);
    expect(log.total).toBeLessThanOrEqual(LOG_MAX_LINES);
    expect(log.lines.at(-1)?.text).toBe(TRUNCATION_MARKER);
    const bytes = log.lines.reduce((n, l) => n + JSON.stringify(l).length, 0);
    expect(bytes).toBeLessThanOrEqual(LOG_MAX_BYTES + 1024);
  }, 300_000);
});
