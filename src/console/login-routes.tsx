/** @jsxImportSource hono/jsx */
// GET/POST /login and POST /logout.
import { Hono, type MiddlewareHandler } from 'hono';
import type { AppEnv } from '../api/env.js';
import { LoginPage } from './pages/login.js';
import { endSession, safeReturnPath, startSession, tokenAccepted } from './session.js';

const MAX_TOKEN_LENGTH = 4096;

export function createLoginRoutes(deps: { auth: MiddlewareHandler }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/login', (c) => c.html(<LoginPage next={safeReturnPath(c.req.query('next'))} />));
  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const next = safeReturnPath(typeof body.next === 'string' ? body.next : undefined);
    if (token === '' || token.length > MAX_TOKEN_LENGTH || !(await tokenAccepted(c, deps.auth, token))) {
      return c.html(
        <LoginPage next={next} error="That token is not accepted. Paste one of the server's API tokens." />,
        401,
      );
    }
    startSession(c, token);
    return c.redirect(next, 303);
  });
  app.post('/logout', (c) => {
    endSession(c);
    return c.redirect('/login', 303);
  });
  return app;
}
