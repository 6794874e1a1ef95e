// Bull Board (queue internals for operators) at /admin/queues, read-only: retrying or removing
// jobs by hand would bypass the task records clients read. Its page links a web font from a
// CDN; that link is cut, so the console loads nothing from outside (the system font is used).
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import { Hono } from 'hono';

export const BULL_BOARD_PATH = '/admin/queues';
const EXTERNAL_FONT = /<link[^>]*href="https:\/\/fonts\.googleapis\.com[^>]*>/g;

export function createBullBoardRoutes(queue: Queue): Hono {
  const adapter = new HonoAdapter(serveStatic);
  createBullBoard({
    queues: [new BullMQAdapter(queue, { readOnlyMode: true })],
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'ci-fixer queues' } },
  });
  adapter.setBasePath(BULL_BOARD_PATH);
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    if (!c.res.headers.get('Content-Type')?.startsWith('text/html')) return;
    const html = (await c.res.text()).replace(EXTERNAL_FONT, '');
    c.res = new Response(html, { status: c.res.status, headers: c.res.headers });
  });
  app.route('/', adapter.registerPlugin());
  return app;
}
