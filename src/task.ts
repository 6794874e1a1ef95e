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

export const FIXER_NAMES = ['prettier', 'eslint', 'npm-lockfile'] as const;
export type FixerName = (typeof FIXER_NAMES)[number];

export const OUTCOMES = ['fixed', 'not_fixed', 'not_reproduced', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

// A ref is a branch, tag or commit sha. Git's check-ref-format rules, minus the exotic ones,
// plus a ban on a leading '-' so a ref can never be read as an option.
const REF_PATTERN = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._\/-]+(?<![./])$/;

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

export const taskSpecSchema = z.object({
  repo: z.object({
    url: repoUrlSchema,
    ref: z.string().min(1).max(255).regex(REF_PATTERN, 'must be a branch, tag or commit sha'),
  }),
  command: z.string().trim().min(1).max(4096),
  fixers: z.array(z.enum(FIXER_NAMES)).min(1).max(FIXER_NAMES.length).optional(),
  timeoutSeconds: z.number().int().min(10).max(6 * 3600).optional(),
  labels: z
    .record(z.string().min(1).max(63).regex(/^[A-Za-z0-9._\/-]+$/), z.string().max(256))
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

export interface FixResult {
  outcome: Outcome;
  fixer: FixerName | null;
  /** Unified git diff of the fix, capped; empty unless the outcome is `fixed`. */
  patch: string;
  patchTruncated: boolean;
  /** The patch contained a configured secret, which was redacted: it is never pushed or posted. */
  patchRedacted?: boolean;
  commands: CommandRecord[];
  /** Where the command came from (GitHub tasks). */
  commandSource?: CommandSource;
  /** What was reported back to GitHub, and any reporting error (GitHub tasks). */
  github?: GitHubReport;
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
  result: FixResult | null;
  error: TaskErrorInfo | null;
}

export type LogStream = 'stdout' | 'stderr' | 'system';

export interface LogLine {
  ts: string;
  stream: LogStream;
  text: string;
}
