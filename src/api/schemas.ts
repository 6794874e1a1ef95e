// Zod schemas of the API's requests and responses. Requests are validated with them and the
// OpenAPI document is generated from them, so the two cannot drift apart.
import { z } from '@hono/zod-openapi';
import { TASK_SOURCES } from '../queue/types.js';
import {
  COMMAND_SOURCES,
  DIAGNOSIS_TOOLS,
  FAILURE_CATEGORIES,
  FIXER_NAMES,
  githubOriginSchema,
  NOT_FIXED_CODES,
  OUTCOMES,
  TASK_PHASES,
  TASK_STATES,
  taskSpecSchema,
} from '../task.js';

export const BEARER_SCHEME = 'bearerAuth';
/** The security requirement of every /api/v1 route. */
export const bearerSecurity = [{ [BEARER_SCHEME]: [] }];

export const MAX_LOG_PAGE = 5000;
export const DEFAULT_LOG_PAGE = 500;

/** Digits only: "1e3", "0x10" or " 7" are refused rather than coerced. */
const cursorString = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a non-negative integer')
  .transform(Number);

// .meta() rather than .openapi(): the task schema may be built before zod-openapi extends zod.
export const taskSpecRequestSchema = taskSpecSchema.meta({ id: 'TaskSpec' });

/** A stored task's spec: a GitHub task's command is resolved from its repository once it runs. */
const storedTaskSpecSchema = taskSpecSchema
  .extend({
    command: taskSpecSchema.shape.command.optional(),
    github: githubOriginSchema.optional(),
    commandSource: z.enum(COMMAND_SOURCES).optional(),
    setup: z.array(z.string()).optional(),
  })
  .meta({ id: 'StoredTaskSpec' });

export const taskIdParamsSchema = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' }, description: 'Task id returned by POST /api/v1/tasks.' }),
});

export const logsQuerySchema = z.object({
  cursor: cursorString.optional().openapi({
    param: { name: 'cursor', in: 'query' },
    type: 'integer',
    minimum: 0,
    default: 0,
    description: 'Position to read from: 0, or the `nextCursor` of the previous page.',
  }),
  limit: z
    .string()
    .regex(/^\d{1,5}$/, `must be an integer from 1 to ${MAX_LOG_PAGE}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be at least 1`).max(MAX_LOG_PAGE, `must be at most ${MAX_LOG_PAGE}`))
    .optional()
    .openapi({
      param: { name: 'limit', in: 'query' },
      type: 'integer',
      minimum: 1,
      maximum: MAX_LOG_PAGE,
      default: DEFAULT_LOG_PAGE,
      description: 'Most lines to return.',
    }),
});

export const eventsQuerySchema = z.object({
  cursor: logsQuerySchema.shape.cursor,
});

/** Longest Idempotency-Key accepted: room for a UUID or a client's own scheme, not for a payload. */
export const IDEMPOTENCY_KEY_MAX = 128;

export const submitHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(IDEMPOTENCY_KEY_MAX)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description:
        'The same key from the same token within the task retention yields the same task (and the same answer) instead of a new one.',
    }),
});

export const eventsHeadersSchema = z.object({
  'last-event-id': cursorString.optional().openapi({
    param: { name: 'last-event-id', in: 'header' },
    type: 'integer',
    minimum: 0,
    description: 'Sent by EventSource on reconnect; wins over `cursor`.',
  }),
});

export const logLineSchema = z
  .object({
    ts: z.string().openapi({ description: 'ISO 8601 time the line was recorded.' }),
    stream: z.enum(['stdout', 'stderr', 'system']),
    text: z.string(),
  })
  .openapi('LogLine');

export const logPageSchema = z
  .object({
    lines: z.array(logLineSchema),
    nextCursor: z.number().int().openapi({ description: 'Pass back as `cursor` to continue after the last line.' }),
    done: z.boolean().openapi({ description: 'The task is final and every line has been read.' }),
  })
  .openapi('LogPage');

const commandRecordSchema = z.object({
  command: z.string(),
  exitCode: z.number().int(),
  durationMs: z.number(),
  timedOut: z.boolean(),
});

const proofSchema = z
  .object({
    sandbox: z.string().openapi({ description: 'The fresh sandbox the proof ran in.' }),
    commit: z.string().openapi({ description: 'The commit checked out.' }),
    patchSha256: z.string().openapi({ description: 'sha256 of the exact patch applied with `git apply --index`.' }),
    command: z.string(),
    exitCode: z.number().int(),
    durationMs: z.number(),
  })
  .openapi('Proof', {
    description:
      'The whole original command run on a fresh checkout of the commit with exactly the patch: the only run that can make a task `fixed`.',
  });

const diagnosisSchema = z
  .object({
    tool: z
      .enum(DIAGNOSIS_TOOLS)
      .openapi({ description: 'The tool the failure is attributed to; `unknown` when no recognizer knows it.' }),
    category: z.enum(FAILURE_CATEGORIES),
    step: z
      .object({ index: z.number().int().min(0), command: z.string() })
      .nullable()
      .openapi({ description: 'For a chained command (`a && b`, several lines): the step that failed, 0-based.' }),
    locations: z
      .array(z.object({ path: z.string(), line: z.number().int().nullable(), column: z.number().int().nullable() }))
      .openapi({
        description:
          'Files and lines the output names, relative to the repository and checked to exist there (at most 20).',
      }),
    excerpt: z
      .array(z.string())
      .openapi({ description: 'The few error lines that matter (at most 15), never the whole log.' }),
    summary: z
      .string()
      .openapi({ description: 'One line for people, e.g. "eslint failed in lib/option.js:12 (lint)".' }),
  })
  .openapi('Diagnosis');

const modelUsageSchema = z
  .object({
    model: z.string(),
    steps: z.number().int(),
    attempts: z.number().int(),
    promptTokens: z.number().int(),
    completionTokens: z.number().int(),
    modelTimeMs: z.number().openapi({ description: 'Wall time spent waiting for model responses.' }),
    summary: z.string().nullable().openapi({ description: "The model's own summary of its fix." }),
  })
  .openapi('ModelUsage');

const fixResultSchema = z
  .object({
    outcome: z.enum(OUTCOMES),
    fixer: z
      .enum(FIXER_NAMES)
      .nullable()
      .openapi({ description: 'The first of `fixers` (kept for clients of the first version).' }),
    fixers: z.array(z.enum(FIXER_NAMES)).optional().openapi({
      description:
        'Every fixer whose change was kept, in the order applied; the patch is their sum. Empty unless `fixed`.',
    }),
    // Null when the failure did not reproduce.
    diagnosis: diagnosisSchema.nullable().optional(),
    reason: z.string().nullable().optional().openapi({ description: 'For `not_fixed`: why, in a sentence.' }),
    reasonCode: z.enum(NOT_FIXED_CODES).nullable().optional().openapi({
      description:
        'For `not_fixed` after a candidate passed in the work sandbox: `proof_failed` (the command failed on a fresh checkout with exactly the patch) or `weakens_check` (the patch changes what the check checks).',
    }),
    proof: proofSchema.nullable().optional(),
    // Set when the model-backed fixer ran.
    model: modelUsageSchema.nullable().optional(),
    patch: z.string().openapi({ description: 'Unified git diff of the fix; empty unless the outcome is `fixed`.' }),
    patchTruncated: z.boolean(),
    patchStats: z
      .object({ files: z.number().int(), added: z.number().int(), removed: z.number().int() })
      .optional()
      .openapi({ description: 'The size of the whole patch: files changed, lines added and removed.' }),
    patchRedacted: z
      .boolean()
      .optional()
      .openapi({ description: 'The patch contained a configured secret (now redacted); it was not delivered.' }),
    commands: z.array(commandRecordSchema),
    commandSource: z.enum(COMMAND_SOURCES).optional(),
    github: z
      .object({
        checkRunId: z.number().int().nullable(),
        checkRunUrl: z.string().nullable(),
        branch: z.string().nullable(),
        commitSha: z.string().nullable(),
        pullRequestUrl: z.string().nullable(),
        commentUrl: z.string().nullable(),
        attempts: z.number().int(),
        error: z.object({ code: z.string(), message: z.string() }).nullable(),
      })
      .optional()
      .openapi({ description: 'What was reported back to GitHub (GitHub tasks); `error` when reporting failed.' }),
  })
  .openapi('FixResult');

const errorInfoSchema = z.object({ code: z.string(), message: z.string() });

/** What a task record and a task summary both carry. */
const taskProgressSchema = z.object({
  id: z.uuid(),
  state: z.enum(TASK_STATES),
  phase: z.enum(TASK_PHASES).nullable(),
  attempts: z.number().int(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

export const taskRecordSchema = taskProgressSchema
  .extend({
    spec: storedTaskSpecSchema,
    submittedBy: z
      .string()
      .nullable()
      .openapi({ description: 'Name of the API token that submitted the task; null for webhook tasks.' }),
    cloneWithGitToken: z.boolean().optional().openapi({
      description:
        'Set by the API: the worker may clone with GIT_TOKEN (a token with repository scopes, or the only one).',
    }),
    result: fixResultSchema.nullable(),
    error: errorInfoSchema.nullable(),
  })
  .openapi('Task');

export const submitResponseSchema = z
  .object({
    id: z.uuid(),
    statusUrl: z.string().openapi({ description: 'Absolute when PUBLIC_URL is set, else a path.' }),
    logsUrl: z.string(),
    eventsUrl: z.string(),
  })
  .openapi('TaskAccepted');

export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: 'Stable, machine-readable error code.' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional().openapi({
        description: 'For validation errors: `{ in, issues: [{ field, message }] }`, field as a dotted path.',
      }),
    }),
  })
  .openapi('Error');

export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: errorResponseSchema } } } as const;
}

export const MAX_LIST_PAGE = 100;
export const DEFAULT_LIST_PAGE = 25;

export const taskListQuerySchema = z.object({
  state: z
    .enum(TASK_STATES)
    .optional()
    .openapi({ param: { name: 'state', in: 'query' }, description: 'Only tasks in this state.' }),
  repo: z
    .string()
    .min(1)
    .max(2048)
    .optional()
    .openapi({
      param: { name: 'repo', in: 'query' },
      description: 'Only tasks whose repository URL contains this (case-insensitive).',
    }),
  source: z
    .enum(TASK_SOURCES)
    .optional()
    .openapi({ param: { name: 'source', in: 'query' }, description: '`api` (submitted) or `github` (a webhook).' }),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({
      param: { name: 'since', in: 'query' },
      description: 'Only tasks created at or after this ISO 8601 time.',
    }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ param: { name: 'cursor', in: 'query' }, description: 'The `nextCursor` of the previous page.' }),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be an integer from 1 to ${MAX_LIST_PAGE}`)
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be at least 1').max(MAX_LIST_PAGE, `must be at most ${MAX_LIST_PAGE}`))
    .optional()
    .openapi({
      param: { name: 'limit', in: 'query' },
      type: 'integer',
      minimum: 1,
      maximum: MAX_LIST_PAGE,
      default: DEFAULT_LIST_PAGE,
    }),
});

export const taskSummarySchema = taskProgressSchema
  .extend({
    repo: z.object({ url: z.string(), ref: z.string() }),
    command: z.string().nullable().openapi({ description: 'null while a GitHub task has not resolved its command.' }),
    source: z.enum(TASK_SOURCES),
    outcome: z.enum(OUTCOMES).nullable(),
    fixer: z.enum(FIXER_NAMES).nullable(),
    error: errorInfoSchema.nullable(),
    submittedBy: z
      .string()
      .nullable()
      .openapi({ description: 'Name of the API token that submitted the task; null for webhook tasks.' }),
  })
  .openapi('TaskSummary');

export const taskListSchema = z
  .object({
    tasks: z.array(taskSummarySchema),
    nextCursor: z.string().nullable().openapi({
      description:
        'Pass back as `cursor` for the next (older) page; null at the end. Tasks added meanwhile never shift it.',
    }),
  })
  .openapi('TaskList');

export const MAX_STATS_WINDOW_SECONDS = 30 * 24 * 3600;

export const statsQuerySchema = z.object({
  windowSeconds: z
    .string()
    .regex(/^\d{1,8}$/, `must be an integer from 60 to ${MAX_STATS_WINDOW_SECONDS}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(60, 'must be at least 60')
        .max(MAX_STATS_WINDOW_SECONDS, `must be at most ${MAX_STATS_WINDOW_SECONDS}`),
    )
    .optional()
    .openapi({
      param: { name: 'windowSeconds', in: 'query' },
      type: 'integer',
      minimum: 60,
      maximum: MAX_STATS_WINDOW_SECONDS,
      default: 86400,
    }),
});

const countsOf = <T extends readonly [string, ...string[]]>(names: T) =>
  z.object(Object.fromEntries(names.map((n) => [n, z.number().int()])) as Record<T[number], z.ZodNumber>);

export const statsSchema = z
  .object({
    windowSeconds: z.number().int(),
    from: z.string(),
    to: z.string(),
    total: z.number().int().openapi({ description: 'Tasks created in the window that were counted.' }),
    truncated: z
      .boolean()
      .openapi({ description: 'More tasks were created in the window than one read counts (10000).' }),
    states: countsOf(TASK_STATES),
    outcomes: countsOf(OUTCOMES),
    fixers: z
      .array(z.object({ fixer: z.enum(FIXER_NAMES).nullable(), total: z.number().int(), fixed: z.number().int() }))
      .openapi({
        description: 'Per fixer used (null: none applied), tasks whose failure reproduced, and how many it fixed.',
      }),
    queue: z.object({
      waiting: z.number().int(),
      prioritized: z.number().int(),
      active: z.number().int(),
      delayed: z.number().int(),
      completed: z.number().int(),
      failed: z.number().int(),
    }),
    activeSandboxes: z.number().int(),
    recentFailures: z.array(taskSummarySchema),
  })
  .openapi('TaskStats');
