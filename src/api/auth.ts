// Bearer-token authentication with a constant-time comparison. hono/bearer-auth compares through
// WebCrypto digests, which run on the libuv thread pool: under load every request then waits for
// two pool round trips per configured token, and intake throughput dropped to a third of a bare
// handler's. Hashing synchronously with node:crypto keeps the comparison constant-time (equal-length
// SHA-256 digests, every token checked, no early exit) without leaving the event loop.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ConfigError, UnauthorizedError } from '../errors.js';

/** RFC 6750 token68. */
const TOKEN_FORMAT = /^[A-Za-z0-9._~+/-]+=*$/;
const PREFIX = /^Bearer +/i;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function bearerTokens(tokens: readonly string[]): MiddlewareHandler {
  if (tokens.length === 0) throw new ConfigError('at least one API token is required');
  if (!tokens.every((token) => TOKEN_FORMAT.test(token))) {
    // A token outside this alphabet could never authenticate; say so at startup, not at the first 401.
    throw new ConfigError('API_TOKENS entries may only contain letters, digits and . _ ~ + / - (and trailing =)');
  }
  const expected = tokens.map(digest);
  return async (c, next) => {
    const header = c.req.header('Authorization');
    if (header === undefined) throw new UnauthorizedError('missing bearer token');
    if (!PREFIX.test(header)) throw new UnauthorizedError('malformed Authorization header; expected "Bearer <token>"');
    const presented = header.replace(PREFIX, '');
    if (!TOKEN_FORMAT.test(presented)) throw new UnauthorizedError('malformed Authorization header; expected "Bearer <token>"');
    const actual = digest(presented);
    let ok = false;
    for (const candidate of expected) ok = timingSafeEqual(actual, candidate) || ok;
    if (!ok) throw new UnauthorizedError('invalid bearer token');
    await next();
  };
}
