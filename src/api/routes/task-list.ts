// GET /api/v1/tasks: the task list, newest first, paged by an opaque cursor. Registered on the
// task router, so it shares its bearer-token middleware.
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { TaskService } from '../../queue/types.js';
import { readableBy } from '../access.js';
import type { AppEnv } from '../env.js';
import { bearerSecurity, DEFAULT_LIST_PAGE, errorResponse, taskListQuerySchema, taskListSchema } from '../schemas.js';

export const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'List tasks, newest first',
  description:
    'Filters combine. Paging is by cursor: pass `nextCursor` back as `cursor`. Tasks submitted while a client pages ' +
    'are newer than its first page, so they never shift later pages: no task is skipped or repeated. A filtered ' +
    'page may hold fewer than `limit` tasks while `nextCursor` is not null.',
  security: bearerSecurity,
  request: { query: taskListQuerySchema },
  responses: {
    200: { description: 'One page of tasks', content: { 'application/json': { schema: taskListSchema } } },
    400: errorResponse('An invalid filter, limit or cursor (named in the body)'),
    401: errorResponse('Missing or invalid bearer token'),
  },
});

export function addTaskListRoute(router: OpenAPIHono<AppEnv>, tasks: TaskService): void {
  router.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const page = await tasks.list({
      ...(q.state === undefined ? {} : { state: q.state }),
      ...(q.repo === undefined ? {} : { repo: q.repo }),
      ...(q.source === undefined ? {} : { source: q.source }),
      ...(q.since === undefined ? {} : { sinceMs: Date.parse(q.since) }),
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      limit: q.limit ?? DEFAULT_LIST_PAGE,
      visible: readableBy(c),
    });
    return c.json(page, 200);
  });
}
