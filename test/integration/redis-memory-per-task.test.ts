// The Redis memory one task takes, measured (MEMORY USAGE of every key the task owns), so the
// figures in docs/operations.md that size the bundled Redis's maxmemory stay true.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { FixResult, LogLine } from '../../src/task.js';
import { createQueueStack, type QueueStack } from '../support/queue-stack.js';

/** docs/operations.md, "Redis memory": a typical finished task, and one at both caps. */
const TYPICAL_TASK_MAX_BYTES = 96 * 1024;
const CAPPED_TASK_MAX_BYTES = 8 * 1024 * 1024;

async function taskBytes(stack: QueueStack, id: string): Promise<number> {
  const keys = [stack.store.recordKey(id), stack.store.logKey(id), `${stack.prefix}:${stack.settings.name}:${id}`];
  let total = 0;
  for (const key of keys) total += Number((await stack.redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  return total;
}

async function finishedTask(stack: QueueStack, lines: number, lineChars: number, patchBytes: number): Promise<string> {
  const { id } = await stack.tasks.submit({
    repo: { url: 'https://github.com/octo/repo.git', ref: 'main' },
    command: 'npx prettier --check .',
  });
  await stack.store.transition(id, ['queued'], {
    state: 'running',
    startedAt: new Date().toISOString(),
    owner: randomUUID(),
  });
  const text = 'x'.repeat(lineChars);
  for (let i = 0; i < lines; i += 500) {
    const batch: LogLine[] = Array.from({ length: Math.min(500, lines - i) }, () => ({
      ts: new Date().toISOString(),
      stream: 'stdout',
      text,
    }));
    await stack.store.appendLog(id, batch);
  }
  const result: FixResult = {
    outcome: 'fixed',
    fixer: 'prettier',
    patch: 'p'.repeat(patchBytes),
    patchTruncated: false,
    commands: Array.from({ length: 8 }, (_, i) => ({
      command: `step ${i}`,
      exitCode: 0,
      durationMs: 1000,
      timedOut: false,
    })),
  };
  await stack.store.transition(id, ['running'], { state: 'succeeded', finishedAt: new Date().toISOString(), result });
  return id;
}

describe('Redis memory per task', () => {
  let stack: QueueStack;
  afterEach(() => stack.close());

  it('stays within the documented figures for a typical task and for one at the log and patch caps', async () => {
    stack = createQueueStack({ logMaxLines: 10_000, logMaxBytes: 5 * 1024 * 1024 });
    // Typical: 300 log lines of 80 characters, a 4 KiB patch.
    const typical = await taskBytes(stack, await finishedTask(stack, 300, 80, 4096));
    // Capped: the default log caps (10,000 lines / 5 MiB) and the default 1 MiB patch.
    const capped = await taskBytes(stack, await finishedTask(stack, 12_000, 500, 1024 * 1024));
    process.stdout.write(`redis memory per task: typical ${typical} B, capped ${capped} B\n`);
    expect(typical).toBeGreaterThan(20 * 1024);
    expect(typical).toBeLessThanOrEqual(TYPICAL_TASK_MAX_BYTES);
    expect(capped).toBeGreaterThan(5 * 1024 * 1024);
    expect(capped).toBeLessThanOrEqual(CAPPED_TASK_MAX_BYTES);
  });
});
