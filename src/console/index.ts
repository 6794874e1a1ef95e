// The web console, served by the API process: sign-in, the pages, their assets and Bull Board.
// Everything here is behind a session holding an API token; only /login and the assets are not.
import type { Queue } from 'bullmq';
import { Hono, type Context } from 'hono';
import { csrf } from 'hono/csrf';
import { bearerTokens, principalOf, requireScope, type ApiToken } from '../api/auth.js';
import type { IntakeLimits } from '../api/intake-limits.js';
import type { AppUi } from '../api/app.js';
import type { AppEnv } from '../api/env.js';
import { InfrastructureError } from '../errors.js';
import type { TaskService } from '../queue/types.js';
import { createAssetRoutes } from './assets.js';
import { BULL_BOARD_PATH, createBullBoardRoutes } from './bull-board.js';
import { createLoginRoutes } from './login-routes.js';
import { createPageRoutes } from './routes.js';
import { requireSession, sessionCookieAsBearer } from './session.js';

export { sessionCookieAsBearer } from './session.js';

export interface ConsoleDeps {
  tasks: TaskService;
  tokens: ReadonlyArray<string | ApiToken>;
  publicUrl: string | undefined;
  /** The BullMQ queue shown by Bull Board; without it /admin/queues is not mounted. */
  queue?: Queue;
  /** The API's intake limits, so a console submission is gated like an API one. */
  limits?: IntakeLimits;
}

/** Where the pages live (routes.tsx). */
const PAGE_PATHS = ['/', '/tasks', '/tasks/*'];

const PAGE_SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
};

function toSignIn(c: Context): Response {
  const url = new URL(c.req.url);
  const next = `${url.pathname}${url.search}`;
  return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
}

export function createConsole(deps: ConsoleDeps): Hono<AppEnv> {
  const auth = bearerTokens(deps.tokens);
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    await next();
    // Our own HTML only (pages, sign-in): they need nothing but 'self'. Bull Board's page is left
    // alone, it bootstraps inline.
    if (c.req.path.startsWith(BULL_BOARD_PATH) || !c.res.headers.get('Content-Type')?.startsWith('text/html')) return;
    for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) c.res.headers.set(name, value);
    c.res.headers.set('Cache-Control', 'no-store');
  });
  // Forms post back to this host: a request from another origin (Origin header) is refused.
  const sameOrigin = csrf({
    origin: (origin, c) => URL.canParse(origin) && new URL(origin).host === c.req.header('Host'),
  });
  for (const path of PAGE_PATHS) app.use(path, sameOrigin);
  app.use('/login', sameOrigin);
  app.use('/logout', sameOrigin);
  app.route('/', createAssetRoutes());
  app.route('/', createLoginRoutes({ auth }));

  if (deps.queue !== undefined) {
    app.use(
      `${BULL_BOARD_PATH}/*`,
      requireSession(auth, (c) =>
        c.req.path.startsWith(`${BULL_BOARD_PATH}/api/`)
          ? c.json({ error: { code: 'unauthorized', message: 'sign in at /login first' } }, 401)
          : toSignIn(c),
      ),
    );
    app.use(BULL_BOARD_PATH, requireSession(auth, toSignIn));
    // Bull Board shows every tenant's jobs (repositories, commands, failure reasons): read:all only.
    for (const path of [BULL_BOARD_PATH, `${BULL_BOARD_PATH}/*`])
      app.use(path, async (c, next) => {
        requireScope(principalOf(c), 'read:all');
        await next();
      });
    // Bull Board answers a failed Redis call with its own 500: when Redis is what failed, say so
    // like the rest of the API (503 with Retry-After), so clients retry instead of reporting a bug.
    app.use(`${BULL_BOARD_PATH}/*`, async (c, next) => {
      await next();
      if (c.res.status < 500) return;
      const down = await deps.tasks.ping().then(
        () => false,
        () => true,
      );
      if (down) throw new InfrastructureError('redis_unavailable', 'Redis is unavailable');
    });
    app.route(BULL_BOARD_PATH, createBullBoardRoutes(deps.queue));
  }

  // Only the console's own paths: anything else (an unknown /api/v1 path) keeps the API's JSON 404.
  const signedIn = requireSession(auth, toSignIn);
  for (const path of PAGE_PATHS) app.use(path, signedIn);
  app.route(
    '/',
    createPageRoutes({
      tasks: deps.tasks,
      publicUrl: deps.publicUrl,
      ...(deps.limits === undefined ? {} : { limits: deps.limits }),
    }),
  );
  return app;
}

/** The console as createApp mounts it (`ui`): its routes at `/`, and its session cookie standing in
 * for the bearer token on /api/v1, so its live stream can read the API (GET only; session.ts). */
export function createConsoleUi(deps: ConsoleDeps): AppUi {
  return { routes: createConsole(deps), apiAuth: sessionCookieAsBearer() };
}
