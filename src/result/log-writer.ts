// Buffers a task's log lines and writes them in batches: a command printing thousands of lines
// costs a handful of Redis round trips, not one per line. flush() is awaited before any final
// state is written, so a client that sees `done` has seen every line.
import type { LogLine, LogStream } from '../task.js';
import type { Redactor } from './redact.js';
import type { TaskStore } from './task-store.js';

export interface TaskLogWriterOptions {
  store: Pick<TaskStore, 'appendLog'>;
  taskId: string;
  redact: Redactor;
  /** Flush when this many lines are buffered. */
  maxBatch?: number;
  /** Flush at least this often while lines are arriving. */
  flushIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export interface TaskLogWriter {
  write(stream: LogStream, text: string): void;
  flush(): Promise<void>;
}

export function createTaskLogWriter(options: TaskLogWriterOptions): TaskLogWriter {
  const maxBatch = options.maxBatch ?? 200;
  const interval = options.flushIntervalMs ?? 100;
  let buffer: LogLine[] = [];
  let timer: NodeJS.Timeout | undefined;
  // Writes are chained so lines land in the order they were produced.
  let chain: Promise<void> = Promise.resolve();

  const drain = (): Promise<void> => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (buffer.length === 0) return chain;
    const batch = buffer;
    buffer = [];
    chain = chain
      .then(() => options.store.appendLog(options.taskId, batch))
      .then(
        () => undefined,
        (err: unknown) => options.onError?.(err),
      );
    return chain;
  };

  return {
    write(stream, text) {
      buffer.push({ ts: new Date().toISOString(), stream, text: options.redact(text) });
      if (buffer.length >= maxBatch) void drain();
      else if (timer === undefined) timer = setTimeout(() => void drain(), interval);
    },
    flush: drain,
  };
}
