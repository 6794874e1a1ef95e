// Seams around each task attempt, for integrations such as GitHub reporting (src/github/reporter.ts).
import type { FixResult, LogStream, QueuedTaskSpec, TaskErrorInfo, TaskSpec } from './task.js';

/** What a hook sees of one task attempt. */
export interface TaskHookContext {
  taskId: string;
  /** 1 for the first attempt. */
  attempt: number;
  spec: QueuedTaskSpec;
  signal: AbortSignal;
  /** Writes to the task's log (redacted like every other line). */
  log: (stream: LogStream, text: string) => void;
}

export interface TaskStart {
  /** The spec to run (e.g. a command resolved from the repository); recorded in the task. */
  spec?: TaskSpec;
  /** Clone token for this task only, in place of gitToken. */
  gitToken?: string;
  /** More strings to redact from this task's log (per-task tokens). */
  secrets?: string[];
}

export interface TaskEnd {
  state: 'succeeded' | 'failed' | 'cancelled';
  /** The resolved spec when onStart gave one. */
  spec: QueuedTaskSpec;
  result: FixResult | null;
  error: TaskErrorInfo | null;
}

/**
 * Hooks around each task attempt, e.g. reporting to GitHub (src/github/reporter.ts). onStart runs
 * before the sandbox; a TaskError from it fails the task, any other error is retried like an
 * infrastructure error. onFinish runs once the final state is known, before it is written, and
 * returns fields kept with the result; it never decides the task's outcome.
 */
export interface TaskHooks {
  onStart?(ctx: TaskHookContext): Promise<TaskStart | undefined>;
  onFinish?(ctx: TaskHookContext, end: TaskEnd): Promise<Partial<FixResult> | undefined>;
}
