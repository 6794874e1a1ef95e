// Buffers a task's log lines and writes them in batches: a command printing thousands of lines
// costs a handful of Redis round trips, not one per line. flush() is awaited before any final
// state is written, so a client that sees `done` has seen every line.
//
// Bounded both ways: once the store has cut the log (its cap), later lines are dropped here
// without a round trip; and while Redis is slower than the output, at most maxPendingLines wait in
// memory; the excess is dropped and counted in one line that follows when room is back.
import type { LogLine, LogStream } from '../task.js';
import type { Redactor } from '../shared/redact.js';
import type { TaskStore } from './task-store.js';

export interface TaskLogWriterOptions {
  store: Pick<TaskStore, 'appendLog'>;
  taskId: string;
  redact: Redactor;
  /** Flush when this many lines are buffered. */
  maxBatch?: number;
  /** Flush at least this often while lines are arriving. */
  flushIntervalMs?: number;
  /** Most lines buffered or in flight to Redis at once (default 20 batches). */
  maxPendingLines?: number;
  onError?: (err: unknown) => void;
}

export interface TaskLogWriter {
  write(stream: LogStream, text: string): void;
  flush(): Promise<void>;
}

export function droppedLinesMessage(count: number): string {
  return `[ci-fixer] ${count} log lines dropped: the command printed faster than the log store took them`;
}

export function createTaskLogWriter(options: TaskLogWriterOptions): TaskLogWriter {
  const maxBatch = options.maxBatch ?? 200;
  const interval = options.flushIntervalMs ?? 100;
  const maxPending = options.maxPendingLines ?? 20 * maxBatch;
  let buffer: LogLine[] = [];
  let inFlight = 0;
  let dropped = 0;
  /** The store stopped taking lines (its cap, or the task is gone): nothing more can land. */
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  // Writes are chained so lines land in the order they were produced.
  let chain: Promise<void> = Promise.resolve();

  const push = (stream: LogStream, text: string) =>
    buffer.push({ ts: new Date().toISOString(), stream, text: options.redact(text) });

  const drain = (): Promise<void> => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (dropped > 0 && !closed && buffer.length + inFlight < maxPending) {
      push('system', droppedLinesMessage(dropped));
      dropped = 0;
    }
    if (buffer.length === 0) return chain;
    const batch = buffer;
    buffer = [];
    inFlight += batch.length;
    chain = chain
      .then(() => (closed ? batch.length : options.store.appendLog(options.taskId, batch)))
      .then(
        (stored) => {
          if (stored < batch.length) closed = true;
        },
        (err: unknown) => options.onError?.(err),
      )
      .finally(() => {
        inFlight -= batch.length;
      });
    return chain;
  };

  return {
    write(stream, text) {
      if (closed) return;
      if (buffer.length + inFlight >= maxPending) {
        dropped += 1;
        return;
      }
      if (dropped > 0) {
        push('system', droppedLinesMessage(dropped));
        dropped = 0;
      }
      push(stream, text);
      if (buffer.length >= maxBatch) void drain();
      else if (timer === undefined) timer = setTimeout(() => void drain(), interval);
    },
    flush: drain,
  };
}
