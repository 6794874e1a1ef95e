// GET /scaling on the ops app (METRICS_PORT): the autoscaling figure as JSON, for KEDA's
// metrics-api trigger (valueLocation `demand`). Unauthenticated like /metrics next to it: it
// holds the same queue-wide counts and no task data, and METRICS_PORT stays cluster-internal.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ScalingFigure } from '../../queue/scaling.js';
import { withTimeout } from '../../timeout.js';
import type { AppEnv } from '../env.js';
import { errorResponse } from '../schemas.js';
import { validationHook } from '../validation.js';

export interface ScalingRoutesDeps {
  scaling: () => Promise<ScalingFigure>;
  logger: Logger;
  /** 503 when Redis takes longer than this (default 2000): KEDA then keeps the current count. */
  timeoutMs?: number;
}

const count = z.number().int().nonnegative();
const scalingSchema = z
  .object({
    demand: count.openapi({ description: 'waiting + prioritized + delayedDue + active: the scaling metric.' }),
    waiting: count,
    prioritized: count,
    delayedDue: count.openapi({ description: 'Delayed tasks (retries) whose time has come.' }),
    active: count,
  })
  .openapi('ScalingFigure');

const scalingRoute = createRoute({
  method: 'get',
  path: '/scaling',
  summary: 'The worker autoscaling figure',
  responses: {
    200: { description: 'Queue-wide counts', content: { 'application/json': { schema: scalingSchema } } },
    503: errorResponse('Redis did not answer in time'),
  },
});

export function createScalingRoutes(deps: ScalingRoutesDeps): OpenAPIHono<AppEnv> {
  const timeoutMs = deps.timeoutMs ?? 2000;
  const router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  router.openapi(scalingRoute, async (c) => {
    try {
      const figure = await withTimeout(deps.scaling(), timeoutMs, 'scaling figure');
      return c.json(figure, 200);
    } catch (err) {
      // An error, never a 0: a 0 would let KEDA scale the workers to zero during an outage.
      deps.logger.warn({ reason: errorMessage(err) }, 'scaling_figure_unavailable');
      return c.json({ error: { code: 'not_ready', message: 'queue counts unavailable' } }, 503);
    }
  });
  return router;
}
