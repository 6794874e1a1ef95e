// Console sign-in. The session is the API token itself, in an HttpOnly, SameSite=Strict cookie:
// page scripts never see it, no other site's request carries it, and it is checked by the very
// bearer middleware that guards /api/v1 (so token rules, scopes included, apply unchanged).
import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { UnauthorizedError } from '../errors.js';

export const SESSION_COOKIE = 'ci_fixer_session';
const SESSION_MAX_AGE_SECONDS = 12 * 3600;

function useAsBearer(c: Context, token: string): void {
  c.req.raw.headers.set('Authorization', `Bearer ${token}`);
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('X-Forwarded-Proto') === 'https';
}

/**
 * For the console's own reads of /api/v1 (the live event stream): a GET with the session cookie
 * and no Authorization header is checked as if the cookie's token were sent as a bearer token.
 * Only reads: a write through the API always needs the header, so a cookie can never cause one.
 */
export function sessionCookieAsBearer(): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method;
    if ((method === 'GET' || method === 'HEAD') && c.req.header('Authorization') === undefined) {
      const token = getCookie(c, SESSION_COOKIE);
      if (token !== undefined && token !== '') useAsBearer(c, token);
    }
    await next();
  };
}

/** True when `auth` accepts `token`. */
export async function tokenAccepted(c: Context, auth: MiddlewareHandler, token: string): Promise<boolean> {
  useAsBearer(c, token);
  let ok = false;
  try {
    await auth(c, async () => {
      ok = true;
    });
  } catch (err) {
    if (!(err instanceof UnauthorizedError)) throw err;
  }
  return ok;
}

export function startSession(c: Context, token: string): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: isHttps(c),
    path: '/',
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) });
}

/**
 * Lets a request through only with a session whose token `auth` accepts; otherwise `refuse`
 * answers (a redirect to sign-in for pages, a 401 for Bull Board's API).
 */
export function requireSession(
  auth: MiddlewareHandler,
  refuse: (c: Context) => Response | Promise<Response>,
): MiddlewareHandler {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token === undefined || token === '') return refuse(c);
    useAsBearer(c, token);
    let passed = false;
    try {
      await auth(c, async () => {
        passed = true;
        await next();
      });
    } catch (err) {
      // Only the token check's own refusal; errors from the page itself go to app.onError.
      if (passed || !(err instanceof UnauthorizedError)) throw err;
      endSession(c);
      return refuse(c);
    }
    return undefined;
  };
}

/** A same-site path to return to after sign-in; anything else becomes `/`. */
export function safeReturnPath(value: string | undefined): string {
  return value !== undefined && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) ? value : '/';
}
