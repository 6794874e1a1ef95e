import type { Sandbox } from '../sandbox/types.js';
import type { CommandRecord, Diagnosis, FixerName, LogStream, ModelUsage, TaskPhase, TaskSpec } from '../task.js';
import type { GuardException } from './guard/index.js';
// A command's options and result (the runner, runner.ts, is the one implementation).
export interface RunOptions {
  /** Relative to the sandbox workdir. */
  cwd?: string;
  /** Extra environment for this command only; where credentials travel. */
  env?: Record<string, string>;
  /** A bound shorter than the task's remaining time (e.g. the model's `run` tool); expiry is not a task timeout. */
  timeoutMs?: number;
  /** What the log and the command record show instead of `command` (an instrumented script shows as the step it runs). */
  label?: string;
}

export interface RunResult {
  exitCode: number;
  durationMs: number;
  /** stdout and stderr lines in arrival order, most recent OUTPUT_TAIL_CHARS characters. */
  output: string;
  stdoutLines: string[];
  /** Only with a command's own `timeoutMs`: it ran out of that bound (the task did not). */
  timedOut: boolean;
  /** Set when the sandbox killed the command for memory: the plain report ("... out of memory (limit 1Gi)"). */
  outOfMemory?: string;
}

export interface CommandRunner {
  run(command: string, options?: RunOptions): Promise<RunResult>;
  readonly commands: CommandRecord[];
}

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
  /** Extra CAs (PEM, from GIT_CA_FILE) the clone trusts besides the sandbox image's own bundle. */
  gitCaBundle?: string;
  patchMaxBytes: number;
  /** The model-backed fixer, when one is configured (LLM_BASE_URL); tried after the tools. */
  agent?: FixAgent;
  /**
   * A new sandbox from the same provider (role `proof`) for the proof on a fresh checkout
   * (src/fixer/proof/); the proof disposes it. Only its run can make a task `fixed`.
   */
  createProofSandbox(): Promise<Sandbox>;
}

/** A failing run of the task's command (or of its failing step), as the fixers see it. */
export interface Failure {
  command: string;
  exitCode: number;
  /** stdout and stderr lines in arrival order, capped to the most recent output. */
  output: string;
  diagnosis: Diagnosis;
  /** The folder the failing step runs in, relative to the repository ("packages/web/"); absent: the root. */
  cwd?: string;
}

/** Runs one shell command in the task's repository checkout, logged and recorded. */
export type RunInRepo = (command: string, options?: Omit<RunOptions, 'cwd'>) => Promise<RunResult>;

export type Ecosystem = 'javascript' | 'go' | 'python' | 'rust' | 'other';

/** What a fixer gets to work with; everything goes through the sandbox. */
export interface FixerContext {
  run: RunInRepo;
  /** The task's whole original command (`failure.command` is the failing step's). */
  command: string;
  failure: Failure;
  /**
   * Untracked files the command's runs created (repository-relative), which a fix leaves out
   * unless a fixer claims them (`include`). Empty unless the command names a tree check, the
   * one kind of failure whose fix may be a generated file.
   */
  createdByCommand(): Promise<string[]>;
  /** A file as text, relative to the folder the failing step runs in (the repository root unless an earlier step `cd`s), or null when absent. */
  readFile(path: string): Promise<string | null>;
  /** Whether `name` is a command the sandbox can run (on PATH). */
  hasCommand(name: string): Promise<boolean>;
  /** A system line in the task log. */
  log(text: string): void;
  signal: AbortSignal;
}

export type FixerOutcome =
  /**
   * The fix command ran; the pipeline decides by re-running whether it helped. `include`: files of
   * createdByCommand() that are part of this fix (generated sources the check wants committed).
   */
  | { status: 'applied'; include?: string[] }
  /** The tool is not in the sandbox: `message` says how to get it, e.g. "black not found: add it to setup in .ci-fixer.yml". */
  | { status: 'tool_missing'; message: string }
  /** The fixer chose not to act after looking closer (e.g. nothing of its kind in the repository). */
  | { status: 'skipped'; message: string };

export interface Fixer {
  readonly name: FixerName;
  readonly ecosystem: Ecosystem;
  /** Pure: does this failure (command, output, diagnosis) show a problem this fixer repairs? */
  detect(failure: Failure): boolean;
  /**
   * Changes files in the checkout with the repository's own tool and version where it pins one.
   * A missing tool is an outcome, never a throw.
   */
  apply(ctx: FixerContext): Promise<FixerOutcome>;
}

/** Budgets for the model-backed fixer; a repository can lower them, never raise them. */
export interface AgentBudgets {
  maxSteps: number;
  maxTokens: number;
  maxWallSeconds: number;
  maxAttempts: number;
}

export interface AgentContext {
  taskId: string;
  /** The task's whole original command: what verification re-runs. */
  command: string;
  /** The latest failure, with its diagnosis. */
  failure: Failure;
  sandbox: Sandbox;
  /** Runs a command in the checkout (logged, recorded, with the task's deadline). */
  run: RunInRepo;
  /** Re-runs the original command on the current tree. */
  verify(): Promise<{ passed: boolean; exitCode: number; output: string }>;
  /** Tracked and untracked files of the checkout, relative to its root. */
  files: string[];
  /** The checkout, relative to the sandbox workdir. */
  repoDir: string;
  /** Refuse edits to test files (on by default for test failures). */
  protectTests: boolean;
  /** The repository's named exceptions to the guard (src/fixer/guard/), from its default branch. */
  guardAllow?: readonly GuardException[];
  budgets: AgentBudgets;
  log(text: string): void;
  signal: AbortSignal;
}

export type AgentStopReason = 'verified' | 'budget_exhausted' | 'gave_up' | 'verification_failed' | 'model_unavailable';

export interface AgentResult {
  /** True only when the agent's last verify() passed. The pipeline proves it once more. */
  passed: boolean;
  reason: AgentStopReason;
  /** The reason in a sentence, for the result and the task log ("ran out of its step budget (30 steps)"). */
  detail?: string;
  usage: ModelUsage;
}

/** The model-backed fixer as the pipeline sees it (src/fixer/agent/). */
export interface FixAgent {
  readonly name: 'model';
  /** The server's budgets: the ceiling for what a repository's .ci-fixer.yml may ask for. */
  readonly budgets?: AgentBudgets;
  run(ctx: AgentContext): Promise<AgentResult>;
}
