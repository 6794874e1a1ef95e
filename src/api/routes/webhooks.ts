// POST /webhooks/github: verify, decide, enqueue, answer. Nothing slow happens here (GitHub gives
// up after 10 s): the command is resolved and GitHub is called by the worker. Every answer to bad
// input is a 4xx; only our own dependencies failing can make a 5xx (503, retry later).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { OverloadedError, UnauthorizedError, UnsupportedMediaTypeError, ValidationError } from '../../errors.js';
import { createAllowList } from '../../github/allow-list.js';
import { decide } from '../../github/events.js';
import { createSignatureVerifier, SIGNATURE_MESSAGES } from '../../github/signature.js';
import type { Metrics } from '../../metrics.js';
import type { TaskService } from '../../queue/types.js';
import { withTimeout } from '../../timeout.js';
import { bodyLimit } from '../body-limit.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../schemas.js';
import { validationHook } from '../validation.js';

export const WEBHOOKS_PATH = '/webhooks';

export interface WebhookRoutesDeps {
  tasks: Pick<TaskService, 'submit'>;
  metrics: Pick<Metrics, 'webhookIgnored'>;
  secrets: readonly string[];
  bodyLimitBytes: number;
  /** Deliveries whose body is being read and verified at once; 503 above (default 16). */
  maxUnverified?: number;
  allow: readonly string[];
  checkName: string;
  appId?: string;
  /** Base of the task URLs in answers; relative paths when undefined. */
  publicUrl: string | undefined;
  /** The webhook's queue cap (503 above it, so GitHub redelivers); none when omitted. */
  limits?: { admitWebhook(): Promise<void> };
  /** Longest wait for the enqueue, well inside GitHub's 10 s (default 5000). */
  submitTimeoutMs?: number;
}

const DEFAULT_MAX_UNVERIFIED = 16;
const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

const acceptedSchema = z.object({ id: z.uuid(), statusUrl: z.string() }).openapi('WebhookTaskAccepted');
const ignoredSchema = z
  .object({ ignored: z.string().openapi({ description: 'Why no task was created.' }) })
  .openapi('WebhookIgnored');

const githubRoute = createRoute({
  method: 'post',
  path: '/github',
  summary: 'GitHub webhook intake',
  description:
    'Signed with X-Hub-Signature-256. `workflow_run` completed/failure and `check_run` completed/failure|timed_out ' +
    'become fix tasks; a redelivery (same X-GitHub-Delivery) gets the same task, and a failure whose task is ' +
    'still queued or running joins it. Other events are acknowledged and ignored.',
  responses: {
    200: { description: 'ping', content: { 'application/json': { schema: z.object({ status: z.string() }) } } },
    202: {
      description: 'A task (new, or the one this failure joined), or ignored with a reason',
      content: { 'application/json': { schema: z.union([acceptedSchema, ignoredSchema]) } },
    },
    400: errorResponse('Malformed body, a missing header, or a supported event without a required field (named)'),
    401: errorResponse('Missing or invalid signature, no secret configured, or an unsupported algorithm'),
    413: errorResponse('Body larger than GITHUB_WEBHOOK_BODY_LIMIT_BYTES'),
    415: errorResponse('Content-Type is neither application/json nor application/x-www-form-urlencoded'),
    503: errorResponse(
      'WEBHOOK_MAX_QUEUED_TASKS or GITHUB_WEBHOOK_MAX_UNVERIFIED reached (see Retry-After), or Redis is unavailable; GitHub redelivers',
    ),
  },
});

function parseBody(raw: string, contentType: string | undefined): unknown {
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  let json = raw;
  if (type === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(raw).get('payload');
    if (payload === null)
      throw new ValidationError('form body has no payload field', {
        details: { in: 'request body', issues: [{ field: 'payload', message: 'required' }] },
      });
    json = payload;
  } else if (type !== 'application/json') {
    throw new UnsupportedMediaTypeError('Content-Type must be application/json or application/x-www-form-urlencoded');
  }
  try {
    return JSON.parse(json) as unknown;
  } catch {
    throw new ValidationError('body is not valid JSON', {
      details: { in: 'request body', issues: [{ field: '', message: 'malformed JSON' }] },
    });
  }
}

function requiredHeader(value: string | undefined, name: string, pattern: RegExp): string {
  if (value === undefined || !pattern.test(value)) {
    const message = value === undefined ? 'required' : `must match ${pattern.source}`;
    throw new ValidationError(`${name} header: ${message}`, {
      details: { in: 'header', issues: [{ field: name, message }] },
    });
  }
  return value;
}

export function createWebhookRoutes(deps: WebhookRoutesDeps): OpenAPIHono<AppEnv> {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const verify = createSignatureVerifier(deps.secrets);
  const allow = createAllowList(deps.allow);
  const decideOptions = {
    allow,
    checkName: deps.checkName,
    ...(deps.appId === undefined ? {} : { appId: deps.appId }),
  };
  const submitTimeoutMs = deps.submitTimeoutMs ?? 5000;
  const base = deps.publicUrl ?? '';

  router.use('*', bodyLimit(deps.bodyLimitBytes));

  // Anyone can reach this route and its body is read before the signature can be checked: cap how
  // many such bodies are held at once, so slow unsigned uploads cannot pile up in memory.
  const maxUnverified = deps.maxUnverified ?? DEFAULT_MAX_UNVERIFIED;
  let unverified = 0;

  router.openapi(githubRoute, async (c) => {
    if (unverified >= maxUnverified)
      throw new OverloadedError('too many webhook deliveries are being read; retry later', 1);
    unverified += 1;
    let raw: string;
    let check: Awaited<ReturnType<typeof verify>>;
    try {
      raw = await c.req.text();
      check = await verify(raw, {
        sha256: c.req.header('X-Hub-Signature-256'),
        sha1: c.req.header('X-Hub-Signature'),
      });
    } finally {
      unverified -= 1;
    }
    if (check !== 'valid') {
      c.var.log.warn({ check }, 'webhook_signature_rejected');
      throw new UnauthorizedError(SIGNATURE_MESSAGES[check]);
    }
    const event = requiredHeader(c.req.header('X-GitHub-Event'), 'X-GitHub-Event', EVENT_NAME);
    const deliveryId = requiredHeader(c.req.header('X-GitHub-Delivery'), 'X-GitHub-Delivery', DELIVERY_ID);
    const payload = parseBody(raw, c.req.header('Content-Type'));
    const decision = decide({ event, deliveryId, payload }, decideOptions);
    const log = c.var.log.child({ event, deliveryId });

    if (decision.kind === 'ping') return c.json({ status: 'pong' }, 200);
    if (decision.kind === 'ignored') {
      deps.metrics.webhookIgnored.inc({ reason: decision.reason });
      log.info({ reason: decision.reason }, 'webhook_ignored');
      return c.json({ ignored: decision.reason }, 202);
    }
    if (deps.limits !== undefined) await withTimeout(deps.limits.admitWebhook(), submitTimeoutMs, 'webhook queue cap');
    const task = await withTimeout(
      deps.tasks.submit(decision.spec, {
        idempotencyKey: `github-delivery:${deliveryId}`,
        deduplicationId: decision.deduplicationId,
      }),
      submitTimeoutMs,
      'webhook task enqueue',
    );
    log.info({ taskId: task.id, repository: decision.spec.github?.repository.fullName }, 'webhook_task_queued');
    return c.json({ id: task.id, statusUrl: `${base}/api/v1/tasks/${task.id}` }, 202);
  });

  return router;
}
