// The task resource: submit, list, read, page logs, stream events, cancel. Every route needs a
// bearer token, reads included: a task names a repository, which may be private. What a token may
// do is its scopes (auth.ts); a task it may not read answers 404, as if it did not exist.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { streamSSE } from 'hono/streaming';
import { NotFoundError } from '../../errors.js';
import {
  bearerTokens,
  canRead,
  principalOf,
  requireRepository,
  requireScope,
  submitterOf,
  type ApiToken,
} from '../auth.js';
import { bodyLimit } from '../body-limit.js';
import type { TaskService } from '../../queue/types.js';
import { isFinal } from '../../task.js';
import { withTimeout } from '../../timeout.js';
import type { AppEnv } from '../env.js';
import {
  BEARER_SCHEME,
  bearerSecurity,
  DEFAULT_LOG_PAGE,
  errorResponse,
  eventsHeadersSchema,
  eventsQuerySchema,
  logPageSchema,
  logsQuerySchema,
  submitHeadersSchema,
  submitResponseSchema,
  taskIdParamsSchema,
  taskRecordSchema,
  taskSpecRequestSchema,
} from '../schemas.js';
import { streamTaskEvents, Wakeup, type SseOptions } from '../sse.js';
import { validationHook } from '../validation.js';
import { addTaskListRoute } from './task-list.js';

export const TASKS_PATH = '/api/v1/tasks';
export { BEARER_SCHEME };

export interface TaskRoutesDeps {
  tasks: TaskService;
  tokens: ReadonlyArray<string | ApiToken>;
  /** Intake limits (rate, queue depth) checked before a submission; none when omitted. */
  limits?: { admit(tokenName: string): Promise<void> };
  /** Absolute base of the URLs handed to clients; relative paths when undefined. */
  publicUrl: string | undefined;
  bodyLimitBytes: number;
  sse: SseOptions;
}

const security = bearerSecurity;
const authErrors = {
  401: errorResponse('Missing or invalid bearer token'),
  403: errorResponse('The token lacks the scope this needs, or the repository is outside its repository scopes'),
} as const;
const taskJson = { 'application/json': { schema: taskRecordSchema } } as const;

const submitRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Submit a fix task',
  security,
  request: {
    headers: submitHeadersSchema,
    body: { required: true, content: { 'application/json': { schema: taskSpecRequestSchema } } },
  },
  responses: {
    202: {
      description: 'Stored and queued',
      headers: z.object({ Location: z.string().openapi({ description: 'The task status URL.' }) }),
      content: { 'application/json': { schema: submitResponseSchema } },
    },
    400: errorResponse('Malformed JSON or an invalid field (named in the body)'),
    ...authErrors,
    413: errorResponse('Body larger than API_BODY_LIMIT_BYTES'),
    415: errorResponse('Content-Type is not application/json'),
    429: errorResponse('Rate limit or MAX_QUEUED_TASKS reached; see Retry-After'),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'Read a task',
  security,
  request: { params: taskIdParamsSchema },
  responses: { 200: { description: 'The task', content: taskJson }, ...authErrors, 404: errorResponse('Unknown task') },
});

const logsRoute = createRoute({
  method: 'get',
  path: '/{id}/logs',
  summary: 'Page through a task log',
  security,
  request: { params: taskIdParamsSchema, query: logsQuerySchema },
  responses: {
    200: { description: 'One page of log lines', content: { 'application/json': { schema: logPageSchema } } },
    400: errorResponse('Invalid cursor or limit'),
    ...authErrors,
    404: errorResponse('Unknown task'),
  },
});

const eventsRoute = createRoute({
  method: 'get',
  path: '/{id}/events',
  summary: 'Stream state changes and log lines (Server-Sent Events)',
  description:
    'Events: `state` (the task), `log` (one line), `end` (the task is final and every line was sent). ' +
    'Each event id is the log cursor after it; reconnecting with Last-Event-ID resumes exactly there.',
  security,
  request: { params: taskIdParamsSchema, query: eventsQuerySchema, headers: eventsHeadersSchema },
  responses: {
    200: { description: 'An event stream', content: { 'text/event-stream': { schema: z.string() } } },
    400: errorResponse('Invalid cursor'),
    ...authErrors,
    404: errorResponse('Unknown task'),
    503: errorResponse('Too many open event streams'),
  },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/{id}/cancel',
  summary: 'Cancel a task',
  security,
  request: { params: taskIdParamsSchema },
  responses: {
    200: { description: 'Cancelled (the task was still queued)', content: taskJson },
    202: { description: 'Cancellation under way (the task was running)', content: taskJson },
    ...authErrors,
    404: errorResponse('Unknown task'),
    409: errorResponse('The task is already final'),
  },
});

export function createTaskRoutes(deps: TaskRoutesDeps): OpenAPIHono<AppEnv> {
  const { tasks } = deps;
  const auth = bearerTokens(deps.tokens);
  const router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const base = deps.publicUrl ?? '';
  const taskUrl = (id: string): string => `${base}${TASKS_PATH}/${id}`;
  let openStreams = 0;

  router.openAPIRegistry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: 'One of the tokens in API_TOKENS; its scopes decide what it may do.',
  });

  // Auth first, so a client without a token never gets its body read.
  router.use('*', auth);
  router.use('*', bodyLimit(deps.bodyLimitBytes));

  /** The task if this caller may read it; 404 otherwise, so other tenants' ids reveal nothing. */
  const readable = async (c: Parameters<typeof principalOf>[0], id: string) => {
    const task = await tasks.get(id);
    if (task === null || !canRead(principalOf(c), task)) throw new NotFoundError('no such task');
    return task;
  };

  addTaskListRoute(router, tasks);

  router.openapi(submitRoute, async (c) => {
    const principal = principalOf(c);
    requireScope(principal, 'submit');
    const spec = c.req.valid('json');
    requireRepository(principal, spec.repo.url);
    const key = c.req.valid('header')['idempotency-key'];
    await deps.limits?.admit(principal.name);
    // Keys are per token: another tenant's key can never name this tenant's task.
    const task = await tasks.submit(spec, {
      ...submitterOf(principal),
      ...(key === undefined ? {} : { idempotencyKey: `api:${principal.name}:${key}` }),
    });
    const statusUrl = taskUrl(task.id);
    c.header('Location', statusUrl);
    return c.json({ id: task.id, statusUrl, logsUrl: `${statusUrl}/logs`, eventsUrl: `${statusUrl}/events` }, 202);
  });

  router.openapi(getRoute, async (c) => c.json(await readable(c, c.req.valid('param').id), 200));

  router.openapi(logsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { cursor, limit } = c.req.valid('query');
    await readable(c, id);
    return c.json(await tasks.readLogs(id, cursor ?? 0, limit ?? DEFAULT_LOG_PAGE), 200);
  });

  router.openapi(eventsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const cursor = c.req.valid('header')['last-event-id'] ?? c.req.valid('query').cursor ?? 0;
    if (openStreams >= deps.sse.maxStreams) throw new HTTPException(503, { message: 'too many open event streams' });
    openStreams += 1;
    const log = c.var.log.child({ taskId: id });
    const wakeup = new Wakeup();
    let unsubscribe: () => Promise<void>;
    try {
      await readable(c, id);
      // Subscribe before the stream's first read, so a change in between still wakes it.
      unsubscribe = await tasks.watch(id, wakeup.notify);
    } catch (err) {
      openStreams -= 1;
      throw err;
    }
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      try {
        const end = await streamTaskEvents({ stream, tasks, id, cursor, wakeup, options: deps.sse });
        log.debug({ end }, 'sse_closed');
      } catch (err) {
        log.error({ err }, 'sse_failed');
        const data = JSON.stringify({ code: 'internal', message: 'stream failed; reconnect to resume' });
        await withTimeout(stream.writeSSE({ event: 'error', data }), deps.sse.writeTimeoutMs, 'sse write').catch(
          () => {},
        );
      } finally {
        openStreams -= 1;
        await unsubscribe().catch((err: unknown) => log.warn({ err }, 'sse_unwatch_failed'));
      }
    });
  });

  router.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    await readable(c, id);
    requireScope(principalOf(c), 'cancel');
    const task = await tasks.cancel(id);
    return isFinal(task.state) ? c.json(task, 200) : c.json(task, 202);
  });

  return router;
}
