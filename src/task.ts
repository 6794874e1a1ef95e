// The task model shared by every stage of the pipeline: intake -> queue -> worker -> fixer -> result.
import { z } from 'zod';

export const TASK_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];
const FINAL_STATES: ReadonlySet<TaskState> = new Set(['succeeded', 'failed', 'cancelled']);

/** A final task never changes state again. */
export function isFinal(state: TaskState): boolean {
  return FINAL_STATES.has(state);
}

export const TASK_PHASES = ['cloning', 'reproducing', 'fixing', 'verifying', 'reporting'] as const;
export type TaskPhase = (typeof TASK_PHASES)[number];

// Deterministic fixers by ecosystem (src/fixer/fixers/<ecosystem>/), then the model-backed one.
export const FIXER_NAMES = [
  // JavaScript / TypeScript
  'prettier',
  'eslint',
  'biome',
  'npm-lockfile',
  'yarn-lockfile',
  'pnpm-lockfile',
  // Go
  'gofmt',
  'goimports',
  'go-mod-tidy',
  // Python
  'ruff',
  'ruff-format',
  'black',
  'isort',
  'poetry-lock',
  'uv-lock',
  // Rust
  'cargo-fmt',
  'cargo-lock',
  // Other
  'terraform-fmt',
  'shfmt',
  'clang-format',
  // Any ecosystem: a "generate, then demand no diff" check, fixed by keeping what the command's
  // own steps generate (src/fixer/fixers/generated/).
  'generated',
  // An agent on an OpenAI-compatible endpoint (src/fixer/agent/), tried when no tool fixes it.
  'model',
] as const;
export type FixerName = (typeof FIXER_NAMES)[number];

/** The tool a failure is attributed to (src/fixer/diagnosis/). */
export const DIAGNOSIS_TOOLS = [
  'prettier',
  'eslint',
  'biome',
  'tsc',
  'node-test',
  'jest',
  'vitest',
  'mocha',
  'npm',
  'yarn',
  'pnpm',
  'pytest',
  'mypy',
  'ruff',
  'black',
  'isort',
  'poetry',
  'uv',
  'go-build',
  'go-vet',
  'go-test',
  'gofmt',
  'goimports',
  'go-mod',
  'cargo-build',
  'cargo-test',
  'cargo-fmt',
  'clippy',
  'terraform',
  'shfmt',
  'clang-format',
  'git-diff',
  'unknown',
] as const;
export type DiagnosisTool = (typeof DIAGNOSIS_TOOLS)[number];

// generated: the checkout differs from what the command's own steps generate (`go mod tidy && git
// diff --exit-code`): the fix is to commit their output.
export const FAILURE_CATEGORIES = [
  'format',
  'lint',
  'type',
  'test',
  'build',
  'dependency',
  'generated',
  'environment',
  'unknown',
] as const;
export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

export interface DiagnosisLocation {
  /** Relative to the repository root, and checked to exist there. */
  path: string;
  line: number | null;
  column: number | null;
}

/** Why the CI command failed, computed from the command and its output on every reproduced task. */
export interface Diagnosis {
  tool: DiagnosisTool;
  category: FailureCategory;
  /** For a chained command (`a && b`, several lines): the step that failed, 0-based. */
  step: { index: number; command: string } | null;
  /** Files and lines the output names (bounded). */
  locations: DiagnosisLocation[];
  /** The few error lines that matter, never the whole log (bounded). */
  excerpt: string[];
  /** One line for people: "eslint failed in lib/option.js:12 (lint)". */
  summary: string;
}

/** What the model-backed fixer spent and said (result.model). */
export interface ModelUsage {
  model: string;
  steps: number;
  attempts: number;
  promptTokens: number;
  completionTokens: number;
  /** Wall time spent waiting for model responses. */
  modelTimeMs: number;
  /** The model's own summary of its fix (from its finish call), if it gave one. */
  summary: string | null;
}

export const OUTCOMES = ['fixed', 'not_fixed', 'not_reproduced', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

// A ref is a branch, tag or commit sha. Git's check-ref-format rules, minus the exotic ones,
// plus a ban on a leading '-' so a ref can never be read as an option.
const REF_PATTERN = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/-]+(?<![./])$/;

export const repoUrlSchema = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'file:') && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'must be an https:// or file:// URL without credentials');

/** A command as a task or .ci-fixer.yml gives it. */
export const commandSchema = z.string().trim().min(1).max(4096);
/** Which fixers may run; all when absent. */
export const fixersSchema = z.array(z.enum(FIXER_NAMES)).min(1).max(FIXER_NAMES.length);
/** A task's whole time budget, in seconds: 10 s to 6 h. */
export const timeoutSecondsSchema = z
  .number()
  .int()
  .min(10)
  .max(6 * 3600);

export const taskSpecSchema = z.object({
  repo: z.object({
    url: repoUrlSchema,
    ref: z.string().min(1).max(255).regex(REF_PATTERN, 'must be a branch, tag or commit sha'),
  }),
  command: commandSchema,
  fixers: fixersSchema.optional(),
  timeoutSeconds: timeoutSecondsSchema.optional(),
  labels: z
    .record(
      z
        .string()
        .min(1)
        .max(63)
        .regex(/^[A-Za-z0-9._/-]+$/),
      z.string().max(256),
    )
    .refine((labels) => Object.keys(labels).length <= 32, 'at most 32 labels')
    .optional(),
});

/** Where a task's command came from: the API request, or (GitHub tasks) the repository at the head sha. */
export const COMMAND_SOURCES = ['request', 'ci-fixer.yml', 'workflow', 'default'] as const;
export type CommandSource = (typeof COMMAND_SOURCES)[number];

/** The GitHub failure a task came from (set by the webhook intake). Never holds a credential. */
export const githubOriginSchema = z.object({
  event: z.enum(['workflow_run', 'check_run']),
  deliveryId: z.string(),
  repository: z.object({ fullName: z.string(), cloneUrl: z.string(), defaultBranch: z.string().nullable() }),
  headSha: z.string(),
  headBranch: z.string().nullable(),
  /** Full name of the repository the head commit lives in, when it is not `repository` (a fork). */
  headRepository: z.string().nullable(),
  pullRequests: z.array(z.number().int()),
  workflow: z.object({ name: z.string(), path: z.string().nullable() }).nullable(),
  runId: z.number().int().nullable(),
  checkRun: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  /** The failed job's name: the check run's name, or found through the Actions API by the worker. */
  failedJob: z.string().nullable(),
  installationId: z.number().int().nullable(),
});
export type GitHubOrigin = z.infer<typeof githubOriginSchema>;

/** A task as the worker runs it: the request, plus what a GitHub task learned from its repository. */
export type TaskSpec = z.infer<typeof taskSpecSchema> & {
  github?: GitHubOrigin;
  commandSource?: CommandSource;
  /** Install steps run once after checkout, before the command (from .ci-fixer.yml). */
  setup?: string[];
};

/** A task as queued: a GitHub task's command is resolved from its repository by the worker. */
export type QueuedTaskSpec = Omit<TaskSpec, 'command'> & { command?: string };

export interface CommandRecord {
  command: string;
  exitCode: number;
  durationMs: number;
  timedOut: boolean;
}

/**
 * Why a candidate fix that passed in the work sandbox is still not `fixed`:
 * - proof_failed: the whole command failed on a fresh checkout of the commit with exactly the patch;
 * - weakens_check: the patch changes what the check checks (a test, a skip, a suppression, the
 *   checking tools' configuration, what the command runs, CI config); src/fixer/guard/.
 */
export const NOT_FIXED_CODES = ['proof_failed', 'weakens_check'] as const;
export type NotFixedCode = (typeof NOT_FIXED_CODES)[number];

/** The run that made (or refused) a `fixed`: the whole command on a fresh checkout with exactly the patch. */
export interface ProofResult {
  /** The fresh sandbox it ran in (a Job name, a local folder). */
  sandbox: string;
  /** The commit checked out. */
  commit: string;
  /** sha256 (hex) of the exact patch bytes applied with `git apply --index`. */
  patchSha256: string;
  command: string;
  exitCode: number;
  durationMs: number;
}

export interface FixResult {
  outcome: Outcome;
  /** The first of `fixers`, kept for clients of the first API version. */
  fixer: FixerName | null;
  /** Every fixer whose change was kept, in the order applied; the patch is their sum. */
  fixers?: FixerName[];
  /** Why the command failed; null when the failure did not reproduce. */
  diagnosis?: Diagnosis | null;
  /** For not_fixed: why, in a sentence (no fixer applies, budget exhausted, ...). */
  reason?: string | null;
  /** For not_fixed after a candidate passed in the work sandbox: which rule refused it. */
  reasonCode?: NotFixedCode | null;
  /** The fresh-checkout run, whenever one ran (always for `fixed`). */
  proof?: ProofResult | null;
  /** Set when the model-backed fixer ran. */
  model?: ModelUsage | null;
  /** Unified git diff of the fix, capped; empty unless the outcome is `fixed`. */
  patch: string;
  patchTruncated: boolean;
  /** The patch's size: files changed, lines added and removed (of the whole patch, also when cut). */
  patchStats?: PatchStats;
  /** The patch contained a configured secret, which was redacted: it is never pushed or posted. */
  patchRedacted?: boolean;
  commands: CommandRecord[];
  /** Where the command came from (GitHub tasks). */
  commandSource?: CommandSource;
  /** What was reported back to GitHub, and any reporting error (GitHub tasks). */
  github?: GitHubReport;
}

export interface PatchStats {
  files: number;
  added: number;
  removed: number;
}

export interface GitHubReport {
  checkRunId: number | null;
  checkRunUrl: string | null;
  branch: string | null;
  commitSha: string | null;
  pullRequestUrl: string | null;
  commentUrl: string | null;
  /** Report attempts made; the result stands even when every one failed. */
  attempts: number;
  error: TaskErrorInfo | null;
}

export interface TaskErrorInfo {
  code: string;
  message: string;
}

export interface TaskRecord {
  id: string;
  state: TaskState;
  phase: TaskPhase | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  spec: QueuedTaskSpec;
  /** Name of the API token that submitted the task; null for webhook tasks. */
  submittedBy: string | null;
  /**
   * The worker may attach GIT_TOKEN to this API task's clone (for GIT_TOKEN_HOSTS): set by the API
   * when the submitting token has repository scopes, or is the one-user setup's only token.
   */
  cloneWithGitToken?: boolean;
  result: FixResult | null;
  error: TaskErrorInfo | null;
}

export type LogStream = 'stdout' | 'stderr' | 'system';

export interface LogLine {
  ts: string;
  stream: LogStream;
  text: string;
}
