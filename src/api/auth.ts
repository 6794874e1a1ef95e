// Who is calling, and what they may do (API_TOKENS is parsed in src/shared/api-tokens.ts). A request's principal (name and scopes)
// is c.var.principal after bearerTokens(); canRead() decides per task, so every route that shows
// a task (the task routes, and any list or console route) applies the same rule.
//
// The bearer comparison is constant-time and synchronous. hono/bearer-auth compares through
// WebCrypto digests, which run on the libuv thread pool: under load every request then waits for
// two pool round trips per configured token, and intake throughput dropped to a third of a bare
// handler's. Hashing with node:crypto keeps the comparison constant-time (equal-length SHA-256
// digests, every token checked, no early exit) without leaving the event loop.
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { ConfigError, ForbiddenError, UnauthorizedError } from '../errors.js';
import {
  type ApiToken,
  digest,
  mayUseGitToken,
  parseApiTokens,
  repositoryAllowed,
  type Scope,
  TOKEN_FORMAT,
} from '../shared/api-tokens.js';
import type { TaskRecord } from '../task.js';

export { ALL_SCOPES, type ApiToken, parseApiTokens, SCOPES, type Scope } from '../shared/api-tokens.js';

/** The caller of one request. */
export interface Principal {
  name: string;
  scopes: ReadonlySet<Scope>;
  /** Repository patterns it may submit; undefined: any repository. */
  repos?: readonly string[];
  /** Whether its tasks may clone with GIT_TOKEN (decided here, never by the client). */
  gitToken?: boolean;
}

const PREFIX = /^Bearer +/i;

/** Authenticates the bearer token and sets c.var.principal. */
export function bearerTokens(
  entries: ReadonlyArray<string | ApiToken>,
): MiddlewareHandler<{ Variables: { principal: Principal } }> {
  const tokens = parseApiTokens(entries);
  if (tokens.length === 0) throw new ConfigError('at least one API token is required');
  const expected = tokens.map((t) => ({
    hash: digest(t.token),
    principal: {
      name: t.name,
      scopes: new Set(t.scopes),
      ...(t.repos === undefined ? {} : { repos: t.repos }),
      gitToken: mayUseGitToken(t),
    } satisfies Principal,
  }));
  return async (c, next) => {
    const header = c.req.header('Authorization');
    if (header === undefined) throw new UnauthorizedError('missing bearer token');
    if (!PREFIX.test(header)) throw new UnauthorizedError('malformed Authorization header; expected "Bearer <token>"');
    const presented = header.replace(PREFIX, '');
    if (!TOKEN_FORMAT.test(presented))
      throw new UnauthorizedError('malformed Authorization header; expected "Bearer <token>"');
    const actual = digest(presented);
    let found: Principal | undefined;
    for (const candidate of expected) if (timingSafeEqual(actual, candidate.hash)) found ??= candidate.principal;
    if (found === undefined) throw new UnauthorizedError('invalid bearer token');
    c.set('principal', found);
    await next();
  };
}

/** The caller's principal; only valid behind bearerTokens(). */
export function principalOf(c: Context): Principal {
  const principal = c.get('principal') as Principal | undefined;
  if (principal === undefined) throw new UnauthorizedError('no authenticated caller');
  return principal;
}

/** Throws 403 unless the caller holds `scope`. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.has(scope))
    throw new ForbiddenError(`this token lacks the ${scope} scope`, { details: { scope } });
}

/** Throws 403 naming the repository when it is outside the caller's repository scopes. */
export function requireRepository(principal: Principal, repoUrl: string): void {
  if (principal.repos === undefined || repositoryAllowed(principal.repos, repoUrl)) return;
  const repository = withoutCredentials(repoUrl);
  throw new ForbiddenError(`the repository ${repository} is outside this token's repository scopes`, {
    details: { repository },
  });
}

/** The URL as the error may echo it: credentials in it (never needed to name it) dropped. */
function withoutCredentials(repoUrl: string): string {
  try {
    const url = new URL(repoUrl);
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return repoUrl.slice(0, 200);
  }
}

/** What a submission records about its caller: the name, and whether GIT_TOKEN may be used. */
export function submitterOf(principal: Principal): { submittedBy: string; cloneWithGitToken: boolean } {
  return { submittedBy: principal.name, cloneWithGitToken: principal.gitToken === true };
}

/**
 * Whether the caller may see the task: `read:all` sees every task, `read:own` the tasks its token
 * submitted. Webhook tasks (no submitter) need `read:all`.
 */
export function canRead(principal: Principal, task: Pick<TaskRecord, 'submittedBy'>): boolean {
  if (principal.scopes.has('read:all')) return true;
  return principal.scopes.has('read:own') && task.submittedBy !== null && task.submittedBy === principal.name;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether the API binds to loopback only (then the Host check below applies). */
export function isLoopbackBind(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * DNS rebinding: a web page in the developer's browser can point its own name at 127.0.0.1 and
 * then talk to a loopback API with the well-known dev token. The browser still sends the page's
 * name as Host, so on loopback only loopback names (and `extra`, e.g. PUBLIC_URL's host or
 * ALLOWED_HOSTS) are served. Any port is fine: the name is what rebinding cannot fake.
 */
export function loopbackHostOnly(extra: readonly string[] = []): MiddlewareHandler {
  const allowed = new Set([...LOOPBACK_NAMES, ...extra.map((h) => h.toLowerCase())]);
  return async (c, next) => {
    const host = c.req.header('Host') ?? new URL(c.req.url).host;
    let name: string;
    try {
      name = new URL(`http://${host}`).hostname.toLowerCase();
    } catch {
      throw new ForbiddenError('the Host header is not a host name');
    }
    if (!allowed.has(name)) {
      throw new ForbiddenError(
        `host ${JSON.stringify(name)} is not served: this API listens on loopback; add the name to ALLOWED_HOSTS to serve it`,
        { details: { host: name } },
      );
    }
    await next();
  };
}
