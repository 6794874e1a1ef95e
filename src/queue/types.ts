// What the intake API needs from the queue side. The Redis/BullMQ implementation lives in
// task-service.ts; tests may pass any other implementation of this interface.
import type { FixerName, LogLine, Outcome, QueuedTaskSpec, TaskErrorInfo, TaskRecord, TaskState } from '../task.js';

export interface LogPage {
  lines: LogLine[];
  /** Pass back as `cursor` to continue exactly after the last returned line. */
  nextCursor: number;
  /** The task is final and every line has been read. */
  done: boolean;
}

export type TaskEvent = { type: 'state'; task: TaskRecord } | { type: 'log'; cursor: number; line: LogLine };

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
  /**
   * The submitter may have GIT_TOKEN attached to its clone (TaskRecord.cloneWithGitToken), decided by the
   * API from the token's repository scopes; never taken from a client.
   */
  cloneWithGitToken?: boolean;
}

export const TASK_SOURCES = ['api', 'github'] as const;
export type TaskSource = (typeof TASK_SOURCES)[number];

/** A task as the list shows it: no patch, log or command records. */
export interface TaskSummary
  extends Pick<
    TaskRecord,
    'id' | 'state' | 'phase' | 'attempts' | 'createdAt' | 'startedAt' | 'finishedAt' | 'submittedBy'
  > {
  repo: { url: string; ref: string };
  /** null for a GitHub task whose command is not resolved yet. */
  command: string | null;
  source: TaskSource;
  outcome: Outcome | null;
  fixer: FixerName | null;
  error: TaskErrorInfo | null;
}

export interface TaskListQuery {
  state?: TaskState;
  /** Case-insensitive substring of the repository URL (or a GitHub task's owner/name). */
  repo?: string;
  source?: TaskSource;
  /** Only tasks created at or after this time (ms). */
  sinceMs?: number;
  /** A `nextCursor` of an earlier page. */
  cursor?: string;
  limit: number;
  /** Which tasks the caller may see (the API's access rule). */
  visible?: (task: TaskSummary) => boolean;
}

export interface TaskListPage {
  tasks: TaskSummary[];
  /** null when there is nothing further; otherwise pass back as `cursor`. */
  nextCursor: string | null;
}

export interface FixerStats {
  fixer: FixerName | null;
  total: number;
  fixed: number;
}

export interface TaskStats {
  windowSeconds: number;
  from: string;
  to: string;
  /** Tasks created in the window that were counted. */
  total: number;
  /** More tasks were created in the window than one stats read counts. */
  truncated: boolean;
  states: Record<TaskState, number>;
  outcomes: Record<Outcome, number>;
  fixers: FixerStats[];
  queue: QueueCounts;
  /** Tasks held by a worker right now, each in its own sandbox. */
  activeSandboxes: number;
  /** The newest failed tasks and tasks that could not be fixed, newest first. */
  recentFailures: TaskSummary[];
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
  /** Newest first; throws ValidationError for a cursor it did not make. */
  list(query: TaskListQuery): Promise<TaskListPage>;
  /** Counts over the tasks created in the last `windowSeconds`. */
  stats(windowSeconds: number, visible?: (task: TaskSummary) => boolean): Promise<TaskStats>;
  /** Resolves when Redis answers. */
  ping(): Promise<void>;
}
