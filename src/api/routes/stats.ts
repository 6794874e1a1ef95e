// GET /api/v1/stats: what the console's overview shows, under the same bearer tokens as tasks.
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { TaskService } from '../../queue/types.js';
import { readableBy } from '../access.js';
import { bearerTokens, type ApiToken } from '../auth.js';
import type { AppEnv } from '../env.js';
import { bearerSecurity, errorResponse, statsQuerySchema, statsSchema } from '../schemas.js';
import { validationHook } from '../validation.js';

export const STATS_PATH = '/api/v1/stats';
export const DEFAULT_STATS_WINDOW_SECONDS = 24 * 3600;

const statsRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'Task counts over a window, queue depth and active sandboxes',
  security: bearerSecurity,
  request: { query: statsQuerySchema },
  responses: {
    200: {
      description: 'Counts by state, outcome and fixer for tasks created in the window',
      content: { 'application/json': { schema: statsSchema } },
    },
    400: errorResponse('An invalid window'),
    401: errorResponse('Missing or invalid bearer token'),
  },
});

export function createStatsRoutes(deps: {
  tasks: TaskService;
  tokens: ReadonlyArray<string | ApiToken>;
}): OpenAPIHono<AppEnv> {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  router.use('*', bearerTokens(deps.tokens));
  router.openapi(statsRoute, async (c) => {
    const window = c.req.valid('query').windowSeconds ?? DEFAULT_STATS_WINDOW_SECONDS;
    return c.json(await deps.tasks.stats(window, readableBy(c)), 200);
  });
  return router;
}
