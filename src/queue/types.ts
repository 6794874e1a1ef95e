// What the intake API needs from the queue side. The Redis/BullMQ implementation lives in
// task-service.ts; tests may pass any other implementation of this interface.
import type { LogLine, QueuedTaskSpec, TaskRecord } from '../task.js';

export interface LogPage {
  lines: LogLine[];
  /** Pass back as `cursor` to continue exactly after the last returned line. */
  nextCursor: number;
  /** The task is final and every line has been read. */
  done: boolean;
}

export type TaskEvent =
  | { type: 'state'; task: TaskRecord }
  | { type: 'log'; cursor: number; line: LogLine };

export interface QueueCounts {
  waiting: number;
  prioritized: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

export interface SubmitOptions {
  /**
   * The same key always yields the same task (within the retention period): a redelivered
   * webhook gets the task its first delivery created.
   */
  idempotencyKey?: string;
  /**
   * While a task submitted with the same id is queued or running, the submission joins it
   * instead of creating another (BullMQ deduplication). A finished task no longer holds the id.
   */
  deduplicationId?: string;
  /** The submitting API token's name (TaskRecord.submittedBy); unset for webhook tasks. */
  submittedBy?: string;
}

export interface TaskService {
  /** Durably stores and enqueues the task before resolving; returns the task it joined, if any. */
  submit(spec: QueuedTaskSpec, options?: SubmitOptions): Promise<TaskRecord>;
  /** null when the id is unknown (or its retention expired). */
  get(id: string): Promise<TaskRecord | null>;
  /** Throws NotFoundError for an unknown id. */
  readLogs(id: string, cursor: number, limit: number): Promise<LogPage>;
  /** Throws NotFoundError, or ConflictError when the task is already final. */
  cancel(id: string): Promise<TaskRecord>;
  /**
   * Calls `onChange` whenever the task's state or logs may have changed (a hint, not a payload);
   * readers then re-read. Returns an unsubscribe function.
   */
  watch(id: string, onChange: () => void): Promise<() => Promise<void>>;
  counts(): Promise<QueueCounts>;
  /** Resolves when Redis answers. */
  ping(): Promise<void>;
}

