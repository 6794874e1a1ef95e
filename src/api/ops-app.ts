// The ops HTTP surface: probes and /metrics only, on METRICS_PORT, in every mode (the API port
// serves no metrics). Keep METRICS_PORT cluster-internal.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { createLogger, type Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ScalingFigure } from '../queue/scaling.js';
import type { TaskService } from '../queue/types.js';
import { createBaseApp } from './app.js';
import type { AppEnv } from './env.js';
import { createHealthRoutes } from './routes/health.js';
import { createScalingRoutes } from './routes/scaling.js';

export interface OpsAppDeps {
  tasks: Pick<TaskService, 'ping'>;
  metrics: Metrics;
  /** Access log and not_ready warnings; silent when omitted. */
  logger?: Logger;
  /** /readyz answers 503 when Redis takes longer than this (default 2000). */
  readyTimeoutMs?: number;
  /** Serves GET /scaling (the autoscaling figure) when set. */
  scaling?: () => Promise<ScalingFigure>;
}

export function createOpsApp(deps: OpsAppDeps): OpenAPIHono<AppEnv> {
  const logger = deps.logger ?? createLogger('silent');
  const app = createBaseApp(logger);
  app.route(
    '/',
    createHealthRoutes({
      ping: () => deps.tasks.ping(),
      metrics: deps.metrics,
      logger,
      readyTimeoutMs: deps.readyTimeoutMs,
      serveMetrics: true,
    }),
  );
  if (deps.scaling !== undefined)
    app.route('/', createScalingRoutes({ scaling: deps.scaling, logger, timeoutMs: deps.readyTimeoutMs }));
  return app;
}
