// Probes and metrics. No auth: kubelets and Prometheus call these, and they reveal no task data.
// /metrics is served only on the ops app (METRICS_PORT), never on the API port: queue depth and
// outcome counts are operational data that API clients and the internet have no need for.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Logger } from '../../logger.js';
import type { Metrics } from '../../metrics.js';
import { errorMessage } from '../../errors.js';
import { withTimeout } from '../../timeout.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../schemas.js';
import { validationHook } from '../validation.js';

export interface HealthRoutesDeps {
  /** Resolves when the backing store (Redis) answers. */
  ping: () => Promise<void>;
  metrics: Metrics;
  logger: Logger;
  /** /readyz answers 503 when ping takes longer than this. */
  readyTimeoutMs?: number;
  /** Serve /metrics too (the ops app); the API app does not. */
  serveMetrics?: boolean;
}

const statusSchema = z.object({ status: z.string() }).openapi('Status');

const healthzRoute = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'The process is alive',
  responses: { 200: { description: 'Alive', content: { 'application/json': { schema: statusSchema } } } },
});

const readyzRoute = createRoute({
  method: 'get',
  path: '/readyz',
  summary: 'Redis answers',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: statusSchema } } },
    503: errorResponse('Redis did not answer in time'),
  },
});

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics',
  responses: {
    200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: z.string() } } },
  },
});

export function createHealthRoutes(deps: HealthRoutesDeps): OpenAPIHono<AppEnv> {
  const readyTimeoutMs = deps.readyTimeoutMs ?? 2000;
  const router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  router.openapi(healthzRoute, (c) => c.json({ status: 'ok' }, 200));

  router.openapi(readyzRoute, async (c) => {
    try {
      await withTimeout(deps.ping(), readyTimeoutMs, 'redis ping');
      return c.json({ status: 'ready' }, 200);
    } catch (err) {
      deps.logger.warn({ reason: errorMessage(err) }, 'not_ready');
      return c.json({ error: { code: 'not_ready', message: 'redis did not answer' } }, 503);
    }
  });

  if (deps.serveMetrics === true) {
    router.openapi(metricsRoute, async (c) => {
      const body = await deps.metrics.registry.metrics();
      return c.text(body, 200, { 'Content-Type': deps.metrics.registry.contentType });
    });
  }

  return router;
}
