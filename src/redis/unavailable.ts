// Redis failures that mean "Redis is not there right now" (down, restarting, out of memory under
// noeviction), as opposed to a bug. The API answers those 503 with Retry-After; anything else
// stays a 500 so it is not mistaken for an outage.
import { InfrastructureError, isAppError } from '../errors.js';

const UNAVAILABLE = [
  /Command timed out/i,
  /Connection is closed/i,
  /MaxRetriesPerRequest|max retries per request/i,
  /Stream isn't writeable/i,
  /\b(ECONNREFUSED|ECONNRESET|ENOENT|EPIPE|ETIMEDOUT|EHOSTUNREACH)\b/,
  /^(LOADING|READONLY|MASTERDOWN|OOM|BUSY)\b/,
];

export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error) || isAppError(err)) return false;
  return UNAVAILABLE.some((pattern) => pattern.test(err.message) || pattern.test(err.name));
}

/** Rethrows a Redis outage as a retryable InfrastructureError (code redis_unavailable). */
export function asUnavailable(err: unknown): never {
  if (isRedisUnavailable(err))
    throw new InfrastructureError('redis_unavailable', `Redis is unavailable: ${(err as Error).message}`, {
      cause: err,
    });
  throw err;
}
