// The task log writer holds a bounded number of lines whatever a command prints: past the store's
// cap nothing more goes to Redis, and while Redis lags the excess is dropped and counted.
import { describe, expect, it } from 'vitest';
import { createTaskLogWriter, droppedLinesMessage } from '../../src/result/log-writer.js';
import type { LogLine } from '../../src/task.js';

const identity = (text: string) => text;

describe('task log writer bounds', () => {
  it('sends nothing more to the store once the store has cut the log at its cap', async () => {
    const calls: LogLine[][] = [];
    // Like TaskStore.appendLog at its cap: the second batch is cut after 3 lines.
    const store = {
      appendLog: async (_id: string, lines: LogLine[]) => {
        calls.push(lines);
        return calls.length === 1 ? lines.length : 3;
      },
    };
    const writer = createTaskLogWriter({ store, taskId: 't', redact: identity, maxBatch: 10 });
    for (let i = 0; i < 20; i++) writer.write('stdout', `line ${i}`);
    await writer.flush();
    expect(calls).toHaveLength(2);
    for (let i = 0; i < 100_000; i++) writer.write('stdout', `more ${i}`);
    await writer.flush();
    expect(calls).toHaveLength(2);
  });

  it('keeps at most maxPendingLines while the store lags, and says how many it dropped', async () => {
    const stored: LogLine[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const store = {
      appendLog: async (_id: string, lines: LogLine[]) => {
        await gate;
        stored.push(...lines);
        return lines.length;
      },
    };
    const writer = createTaskLogWriter({ store, taskId: 't', redact: identity, maxBatch: 10, maxPendingLines: 50 });
    for (let i = 0; i < 10_000; i++) writer.write('stdout', `line ${i}`);
    release();
    await writer.flush();
    writer.write('stdout', 'after');
    await writer.flush();

    const texts = stored.map((l) => l.text);
    expect(texts.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i}`));
    expect(texts.slice(50)).toEqual([droppedLinesMessage(9_950), 'after']);
    expect(stored[50]?.stream).toBe('system');
  });
});
