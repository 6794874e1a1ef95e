// Streams one task as Server-Sent Events: its state, then its log lines from a cursor, then new
// lines and state changes as they happen. Every event's id is the log cursor after it, so an
// EventSource that reconnects with Last-Event-ID resumes without losing or repeating a line.
import type { SSEMessage, SSEStreamingApi } from 'hono/streaming';
import type { TaskRecord } from '../task.js';
import type { TaskService } from '../queue/types.js';
import { withTimeout } from '../timeout.js';

export interface SseOptions {
  /** A comment is sent after this much silence so proxies keep the connection open. */
  keepAliveMs: number;
  /** Re-read even without a watch hint, in case one was missed. */
  pollMs: number;
  /** A stream is closed after this long; the client reconnects with Last-Event-ID. */
  maxStreamMs: number;
  /** A client that does not take an event within this long is dropped. */
  writeTimeoutMs: number;
  /** Log lines read per round trip. */
  pageSize: number;
  /** Open streams per process; more get 503. */
  maxStreams: number;
}

export const DEFAULT_SSE_OPTIONS: SseOptions = {
  keepAliveMs: 15_000,
  pollMs: 5_000,
  maxStreamMs: 30 * 60_000,
  writeTimeoutMs: 30_000,
  pageSize: 500,
  maxStreams: 1000,
};

/** Bounds the log pages read per wake-up, so one busy task cannot monopolise a stream's loop. */
const MAX_PAGES_PER_ROUND = 20;

/** A wake-up that remembers a notification given while nobody was waiting. */
export class Wakeup {
  private pending = false;
  private release: (() => void) | undefined;

  readonly notify = (): void => {
    this.pending = true;
    this.release?.();
  };

  /** Resolves on the next (or a pending) notification, or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.release = undefined;
        self.pending = false;
        resolve();
      }
      this.release = done;
    });
  }

  /** Forget notifications that a re-read about to happen covers anyway. */
  clear(): void {
    this.pending = false;
  }
}

class SlowClient extends Error {}

export interface TaskEventStreamInput {
  stream: SSEStreamingApi;
  tasks: TaskService;
  id: string;
  cursor: number;
  wakeup: Wakeup;
  options: SseOptions;
}

export type StreamEnd = 'final' | 'gone' | 'aborted' | 'max_duration' | 'slow_client';

/** Runs until the task is final (or gone), the client leaves, or a bound is hit. */
export async function streamTaskEvents(input: TaskEventStreamInput): Promise<StreamEnd> {
  const run = new EventStreamRun(input);
  try {
    return await run.loop();
  } catch (err) {
    if (!(err instanceof SlowClient)) throw err;
    input.stream.abort();
    return 'slow_client';
  }
}

type RoundResult = { end: StreamEnd } | { more: boolean };

class EventStreamRun {
  private cursor: number;
  private lastState: string | undefined;
  private lastWriteAt = Date.now();
  private readonly deadline: number;

  constructor(private readonly input: TaskEventStreamInput) {
    this.cursor = input.cursor;
    this.deadline = this.lastWriteAt + input.options.maxStreamMs;
    input.stream.onAbort(input.wakeup.notify);
  }

  async loop(): Promise<StreamEnd> {
    const { stream, wakeup, options } = this.input;
    for (;;) {
      if (stream.aborted) return 'aborted';
      if (Date.now() >= this.deadline) return 'max_duration';
      wakeup.clear();
      const result = await this.round();
      if ('end' in result) return result.end;
      if (result.more) continue;

      const now = Date.now();
      await wakeup.wait(Math.min(options.pollMs, this.lastWriteAt + options.keepAliveMs - now, this.deadline - now));
      if (!stream.aborted && Date.now() - this.lastWriteAt >= options.keepAliveMs)
        await this.write(stream.write(': keep-alive\n\n'));
    }
  }

  /** One re-read: state if it changed, then the log lines after the cursor. */
  private async round(): Promise<RoundResult> {
    const { tasks, id, stream, options } = this.input;
    const task = await tasks.get(id);
    if (task === null) {
      await this.send({
        event: 'end',
        id: String(this.cursor),
        data: JSON.stringify({ reason: 'gone', cursor: this.cursor }),
      });
      return { end: 'gone' };
    }
    await this.sendState(task);

    for (let page = 0; page < MAX_PAGES_PER_ROUND && !stream.aborted; page++) {
      const logs = await tasks.readLogs(id, this.cursor, options.pageSize);
      // Cursors count lines (nextCursor = cursor + lines.length), so each line has its own id.
      for (const line of logs.lines) {
        this.cursor += 1;
        await this.send({ event: 'log', id: String(this.cursor), data: JSON.stringify(line) });
      }
      this.cursor = logs.nextCursor;
      if (logs.done) return { end: await this.finish() };
      if (logs.lines.length < options.pageSize) return { more: false };
    }
    return { more: true };
  }

  private async finish(): Promise<StreamEnd> {
    // The state sent this round may predate the end; the client must see the final one.
    const final = await this.input.tasks.get(this.input.id);
    if (final !== null) await this.sendState(final);
    const data = JSON.stringify({ reason: 'final', state: final?.state, cursor: this.cursor });
    await this.send({ event: 'end', id: String(this.cursor), data });
    return 'final';
  }

  private async sendState(task: TaskRecord): Promise<void> {
    const serialized = JSON.stringify(task);
    if (serialized === this.lastState) return;
    this.lastState = serialized;
    await this.send({ event: 'state', id: String(this.cursor), data: serialized });
  }

  private send(message: SSEMessage): Promise<void> {
    return this.write(this.input.stream.writeSSE(message));
  }

  private async write(pending: Promise<unknown>): Promise<void> {
    try {
      await withTimeout(pending, this.input.options.writeTimeoutMs, 'sse write');
    } catch {
      throw new SlowClient();
    }
    this.lastWriteAt = Date.now();
  }
}
