// The task model shared by every stage of the pipeline: intake -> queue -> worker -> fixer -> result.
import { z } from 'zod';

export const TASK_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const FINAL_STATES: readonly TaskState[] = ['succeeded', 'failed', 'cancelled'];

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
export type TaskSpec = z.infer<typeof taskSpecSchema>;

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
  commands: CommandRecord[];
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
  spec: TaskSpec;
  result: FixResult | null;
  error: TaskErrorInfo | null;
}

export type LogStream = 'stdout' | 'stderr' | 'system';

export interface LogLine {
  ts: string;
  stream: LogStream;
  text: string;
}
