import type { Sandbox } from '../sandbox/types.js';
import type { FixerName, LogStream, TaskPhase, TaskSpec } from '../task.js';

/** What the worker hands the pipeline for one task attempt. */
export interface FixContext {
  taskId: string;
  spec: TaskSpec;
  /** The task's whole time budget; every command's timeout is cut from what is left of it. */
  timeoutSeconds: number;
  sandbox: Sandbox;
  /** Receives every output line; the caller redacts secrets before storing. */
  log: (stream: LogStream, text: string) => void;
  setPhase: (phase: TaskPhase) => Promise<void>;
  signal: AbortSignal;
  /** Sent to the git remote as a per-command HTTP header; never written to disk or argv. */
  gitToken?: string;
  patchMaxBytes: number;
}

/** The failing run of the task's command, as the fixers see it. */
export interface Failure {
  command: string;
  exitCode: number;
  /** stdout and stderr lines in arrival order, capped to the most recent output. */
  output: string;
}

/** Runs one shell command in the task's repository checkout, logged and recorded. */
export type RunInRepo = (command: string) => Promise<{ exitCode: number }>;

export interface Fixer {
  readonly name: FixerName;
  /** Pure: does the failure output show a problem this fixer knows how to repair? */
  applies(failure: Failure): boolean;
  /** Changes files in the checkout; the pipeline verifies by re-running the task's command. */
  apply(ctx: { run: RunInRepo; failure: Failure }): Promise<void>;
}
