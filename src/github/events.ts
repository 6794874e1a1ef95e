// Webhook event -> decision: a ping, an ignored delivery (with a reason from a fixed set, so the
// metric's label stays bounded), or a task. Pure; the route does the I/O. Only the fields ci-fixer
// uses are validated, and a payload that claims a supported event without them is a 400 naming
// the field, never a crash.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { fieldIssues } from '../shared/field-issues.js';
import { ValidationError } from '../errors.js';
import type { GitHubOrigin, QueuedTaskSpec } from '../task.js';
import type { AllowList } from './allow-list.js';

export const IGNORE_REASONS = [
  'unsupported_event',
  'action_not_completed',
  'conclusion_not_failure',
  'repository_not_allowed',
  'own_check_run',
  'ci_fixer_branch',
] as const;
export type IgnoreReason = (typeof IGNORE_REASONS)[number];

/** Branches ci-fixer pushes its fixes to; their own failures never become tasks (no loops). */
export const FIX_BRANCH_PREFIX = 'ci-fixer/';

export type WebhookDecision =
  | { kind: 'ping' }
  | { kind: 'ignored'; reason: IgnoreReason }
  | { kind: 'task'; spec: QueuedTaskSpec; deduplicationId: string };

export interface DecideOptions {
  allow: AllowList;
  /** Our own check run's name: its failures are ours to report, not to fix. */
  checkName: string;
  /** Our GitHub App id, when we are one: its check runs are ours too. */
  appId?: string;
}

export interface Delivery {
  event: string;
  deliveryId: string;
  payload: unknown;
}

const sha = z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'must be a full commit sha');
const positiveInt = z.number().int().positive();
const httpsCloneUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'must be an https URL without credentials');
const branch = z.string().min(1).max(255);

const repositorySchema = z.object({
  full_name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, 'must be owner/name'),
  clone_url: httpsCloneUrl,
  default_branch: branch.nullish(),
});
const pullRequestsSchema = z
  .array(z.object({ number: positiveInt }))
  .max(100)
  .nullish();
const installationSchema = z.object({ id: positiveInt }).nullish();

const actionSchema = z.object({ action: z.string().max(100) });

const workflowRunDecisionSchema = z.object({ workflow_run: z.object({ conclusion: z.string().max(100).nullable() }) });
const workflowRunSchema = z.object({
  repository: repositorySchema,
  installation: installationSchema,
  workflow: z.object({ name: z.string().max(1000).nullish(), path: z.string().max(1000).nullish() }).nullish(),
  workflow_run: z.object({
    id: positiveInt,
    name: z.string().max(1000).nullish(),
    path: z.string().max(1000).nullish(),
    head_sha: sha,
    head_branch: branch.nullish(),
    head_repository: z.object({ full_name: z.string().max(201) }).nullish(),
    pull_requests: pullRequestsSchema,
  }),
});

const checkRunDecisionSchema = z.object({ check_run: z.object({ conclusion: z.string().max(100).nullable() }) });
const checkRunSchema = z.object({
  repository: repositorySchema,
  installation: installationSchema,
  check_run: z.object({
    id: positiveInt,
    name: z.string().min(1).max(1000),
    head_sha: sha,
    check_suite: z.object({ head_branch: branch.nullish() }).nullish(),
    pull_requests: pullRequestsSchema,
    app: z.object({ id: z.number().int() }).nullish(),
  }),
});

const CHECK_RUN_FAILURES = new Set(['failure', 'timed_out']);

/** Throws ValidationError naming the first fields that are missing or wrong. */
function parse<T>(schema: z.ZodType<T>, payload: unknown, event: string): T {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issues = fieldIssues(parsed.error);
  const summary = issues.map((i) => (i.field === '' ? i.message : `${i.field}: ${i.message}`)).join('; ');
  throw new ValidationError(`invalid ${event} payload: ${summary}`, { details: { in: 'webhook payload', issues } });
}

export function decide(delivery: Delivery, options: DecideOptions): WebhookDecision {
  const { event, payload } = delivery;
  if (event === 'ping') return { kind: 'ping' };
  if (event !== 'workflow_run' && event !== 'check_run') return { kind: 'ignored', reason: 'unsupported_event' };
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new ValidationError(`invalid ${event} payload: must be a JSON object`, {
      details: { in: 'webhook payload', issues: [{ field: '', message: 'must be a JSON object' }] },
    });
  }
  if (parse(actionSchema, payload, event).action !== 'completed')
    return { kind: 'ignored', reason: 'action_not_completed' };
  return event === 'workflow_run' ? fromWorkflowRun(delivery, options) : fromCheckRun(delivery, options);
}

function fromWorkflowRun(delivery: Delivery, options: DecideOptions): WebhookDecision {
  const { payload, event } = delivery;
  if (parse(workflowRunDecisionSchema, payload, event).workflow_run.conclusion !== 'failure') {
    return { kind: 'ignored', reason: 'conclusion_not_failure' };
  }
  const p = parse(workflowRunSchema, payload, event);
  const run = p.workflow_run;
  const workflowName = run.name || p.workflow?.name || run.path || p.workflow?.path || `run ${run.id}`;
  return toTask(delivery, options, {
    event: 'workflow_run',
    deliveryId: delivery.deliveryId,
    repository: {
      fullName: p.repository.full_name,
      cloneUrl: p.repository.clone_url,
      defaultBranch: p.repository.default_branch ?? null,
    },
    headSha: run.head_sha,
    headBranch: run.head_branch ?? null,
    headRepository: run.head_repository?.full_name ?? null,
    pullRequests: (run.pull_requests ?? []).map((pr) => pr.number),
    workflow: { name: workflowName, path: run.path ?? p.workflow?.path ?? null },
    runId: run.id,
    checkRun: null,
    failedJob: null,
    installationId: p.installation?.id ?? null,
  });
}

function fromCheckRun(delivery: Delivery, options: DecideOptions): WebhookDecision {
  const { payload, event } = delivery;
  const conclusion = parse(checkRunDecisionSchema, payload, event).check_run.conclusion;
  if (conclusion === null || !CHECK_RUN_FAILURES.has(conclusion))
    return { kind: 'ignored', reason: 'conclusion_not_failure' };
  const p = parse(checkRunSchema, payload, event);
  const run = p.check_run;
  if (run.name === options.checkName || (options.appId !== undefined && String(run.app?.id) === options.appId)) {
    return { kind: 'ignored', reason: 'own_check_run' };
  }
  return toTask(delivery, options, {
    event: 'check_run',
    deliveryId: delivery.deliveryId,
    repository: {
      fullName: p.repository.full_name,
      cloneUrl: p.repository.clone_url,
      defaultBranch: p.repository.default_branch ?? null,
    },
    headSha: run.head_sha,
    headBranch: run.check_suite?.head_branch ?? null,
    headRepository: null,
    pullRequests: (run.pull_requests ?? []).map((pr) => pr.number),
    workflow: null,
    runId: null,
    checkRun: { id: run.id, name: run.name },
    // For GitHub Actions, a check run is one job and carries the job's name.
    failedJob: run.name,
    installationId: p.installation?.id ?? null,
  });
}

function toTask(_delivery: Delivery, options: DecideOptions, origin: GitHubOrigin): WebhookDecision {
  if (!options.allow.allows(origin.repository.fullName)) return { kind: 'ignored', reason: 'repository_not_allowed' };
  if (origin.headBranch?.startsWith(FIX_BRANCH_PREFIX)) return { kind: 'ignored', reason: 'ci_fixer_branch' };
  const what = origin.checkRun !== null ? `check:${origin.checkRun.name}` : `workflow:${origin.workflow?.name ?? ''}`;
  return {
    kind: 'task',
    // The sha pins the code; the command comes from the repository at that sha, read by the worker.
    spec: { repo: { url: origin.repository.cloneUrl, ref: origin.headSha }, github: origin },
    deduplicationId: failureKey(origin.repository.fullName, origin.headSha, what),
  };
}

/** One failure: repository + head sha + workflow or check name. Hashed to a fixed-size id. */
export function failureKey(fullName: string, headSha: string, what: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([fullName.toLowerCase(), headSha, what]))
    .digest('hex');
  return `github-failure:${digest}`;
}
