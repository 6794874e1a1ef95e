// The HTTP surface: one app, one error mapping, one access log; a router per resource.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Config } from '../config.js';
import {
  AppError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  OverloadedError,
  PayloadTooLargeError,
  TooManyRequestsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { TaskService } from '../queue/types.js';
import { isLoopbackBind, loopbackHostOnly, type ApiToken } from './auth.js';
import type { IntakeLimits } from './intake-limits.js';
import type { AppEnv } from './env.js';
import { createHealthRoutes } from './routes/health.js';
import { createStatsRoutes, STATS_PATH } from './routes/stats.js';
import { createTaskRoutes, TASKS_PATH } from './routes/tasks.js';
import { createWebhookRoutes, WEBHOOKS_PATH } from './routes/webhooks.js';
import { DEFAULT_SSE_OPTIONS, type SseOptions } from './sse.js';
import { validationHook } from './validation.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export interface AppDeps {
  tasks: TaskService;
  config: {
    auth: { tokens: ReadonlyArray<string | ApiToken>; usingDevToken: boolean };
    http: Pick<Config['http'], 'publicUrl' | 'bodyLimitBytes'> & Partial<Pick<Config['http'], 'host' | 'allowedHosts'>>;
    /** Webhook settings; without them every webhook delivery is refused (no secret). */
    github?: Pick<Config['github'], 'webhookSecrets' | 'webhookBodyLimitBytes' | 'allow' | 'checkName' | 'app'> &
      Partial<Pick<Config['github'], 'webhookMaxUnverified'>> &
      Partial<Pick<Config['github'], 'appId'>>;
  };
  logger: Logger;
  metrics: Metrics;
  sse?: Partial<SseOptions>;
  /** A web UI mounted at `/` after the API's own routes: the console (src/console), which the
   * composition root passes in, so the API never imports the layer above it. */
  ui?: AppUi;
  /** /readyz answers 503 when Redis takes longer than this (default 2000). */
  readyTimeoutMs?: number;
  /** Intake rate limits and queue caps (intake-limits.ts); none when omitted. */
  limits?: IntakeLimits;
}

export interface AppUi {
  routes: Hono<AppEnv>;
  /** Runs before the bearer check on /api/v1 (the console's session cookie standing in for it). */
  apiAuth?: MiddlewareHandler<AppEnv>;
}

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

const STATUS_BY_ERROR: ReadonlyArray<[abstract new (...args: never[]) => AppError, ContentfulStatusCode]> = [
  [ValidationError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [TooManyRequestsError, 429],
  [OverloadedError, 503],
];

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  503: 'unavailable',
};

/** The intake API: tasks, probes, metrics and the OpenAPI document. */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createBaseApp(deps.logger);
  const { http } = deps.config;
  if (deps.config.auth.usingDevToken || (http.host !== undefined && isLoopbackBind(http.host))) {
    const publicHost = http.publicUrl === undefined ? [] : [new URL(http.publicUrl).hostname];
    app.use(loopbackHostOnly([...publicHost, ...(http.allowedHosts ?? [])]));
  }
  if (deps.ui?.apiAuth !== undefined) app.use('/api/v1/*', deps.ui.apiAuth);
  app.route(
    '/',
    createHealthRoutes({
      ping: () => deps.tasks.ping(),
      metrics: deps.metrics,
      logger: deps.logger,
      readyTimeoutMs: deps.readyTimeoutMs,
    }),
  );
  app.route(
    TASKS_PATH,
    createTaskRoutes({
      tasks: deps.tasks,
      tokens: deps.config.auth.tokens,
      publicUrl: deps.config.http.publicUrl,
      bodyLimitBytes: deps.config.http.bodyLimitBytes,
      sse: { ...DEFAULT_SSE_OPTIONS, ...deps.sse },
      ...(deps.limits === undefined ? {} : { limits: deps.limits }),
    }),
  );
  app.route(STATS_PATH, createStatsRoutes({ tasks: deps.tasks, tokens: deps.config.auth.tokens }));
  const github = deps.config.github;
  app.route(
    WEBHOOKS_PATH,
    createWebhookRoutes({
      tasks: deps.tasks,
      metrics: deps.metrics,
      secrets: github?.webhookSecrets ?? [],
      bodyLimitBytes: github?.webhookBodyLimitBytes ?? deps.config.http.bodyLimitBytes,
      ...(github?.webhookMaxUnverified === undefined ? {} : { maxUnverified: github.webhookMaxUnverified }),
      allow: github?.allow ?? [],
      checkName: github?.checkName ?? 'ci-fixer',
      ...((github?.appId ?? github?.app?.id) === undefined
        ? {}
        : { appId: (github?.appId ?? github?.app?.id) as string }),
      publicUrl: deps.config.http.publicUrl,
      ...(deps.limits === undefined ? {} : { limits: deps.limits }),
    }),
  );
  if (deps.ui !== undefined) app.route('/', deps.ui.routes);
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: { title: 'ci-fixer intake API', version: '1', description: 'Turns a failing CI command into a fix task.' },
    ...(deps.config.http.publicUrl === undefined ? {} : { servers: [{ url: deps.config.http.publicUrl }] }),
  });
  return app;
}

/** Request ids, access log, 404 and the error mapping, shared by every HTTP app of ours. */
export function createBaseApp(logger: Logger): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(requestId());
  app.use(async (c, next) => {
    const log = logger.child({ reqId: c.var.requestId });
    c.set('log', log);
    const started = performance.now();
    await next();
    const fields = {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    };
    // Probes arrive every few seconds; they would drown the useful lines.
    if (PROBE_PATHS.has(c.req.path) && c.res.status < 400) log.debug(fields, 'http_request');
    else log.info(fields, 'http_request');
  });

  app.notFound((c) =>
    c.json<ErrorBody>({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  app.onError((err, c) => errorResponse(err, c, logger));
  return app;
}

function errorResponse(err: Error, c: Context<AppEnv>, logger: Logger): Response {
  const log = c.var.log ?? logger;
  if (err instanceof AppError) {
    const status = STATUS_BY_ERROR.find(([type]) => err instanceof type)?.[1];
    if (status !== undefined) {
      if (status === 401) c.header('WWW-Authenticate', wwwAuthenticate(c));
      if (err instanceof TooManyRequestsError || err instanceof OverloadedError)
        c.header('Retry-After', String(err.retryAfterSeconds));
      return c.json<ErrorBody>({ error: err.toJSON() }, status);
    }
    if (err.retryable) {
      // Redis or another dependency is down: the client may retry; the cause stays in our log.
      log.error({ err }, 'request_unavailable');
      c.header('Retry-After', '5');
      return c.json<ErrorBody>(
        { error: { code: 'unavailable', message: 'a dependency is unavailable; retry later' } },
        503,
      );
    }
  }
  if (err instanceof HTTPException && err.status < 500) {
    const status = err.status as ContentfulStatusCode;
    if (status === 401) c.header('WWW-Authenticate', wwwAuthenticate(c));
    const code = CODE_BY_STATUS[status] ?? 'bad_request';
    // The validator's own 415 text ("Unsupported Media Type") does not say what would be accepted.
    const message = status === 415 ? 'Content-Type must be application/json' : err.message || code;
    return c.json<ErrorBody>({ error: { code, message } }, status);
  }
  if (err instanceof HTTPException && err.status === 503) {
    return c.json<ErrorBody>({ error: { code: 'unavailable', message: err.message || 'unavailable' } }, 503);
  }
  log.error({ err }, 'request_failed');
  return c.json<ErrorBody>({ error: { code: 'internal', message: 'internal error' } }, 500);
}

/** RFC 6750: no error code when the client sent no credentials, `invalid_token` otherwise. */
function wwwAuthenticate(c: Context<AppEnv>): string {
  return c.req.header('Authorization') === undefined
    ? 'Bearer realm="ci-fixer"'
    : 'Bearer realm="ci-fixer", error="invalid_token"';
}
