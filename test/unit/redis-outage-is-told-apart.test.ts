// A Redis outage (the client's own errors, Redis's refusals) is a 503 for the API; any other
// error stays what it is, so a bug is never reported as "Redis is down".
import { describe, expect, it } from 'vitest';
import { InfrastructureError, ValidationError } from '../../src/errors.js';
import { asUnavailable, isRedisUnavailable } from '../../src/redis/unavailable.js';

describe('Redis outage errors', () => {
  it.each([
    'Command timed out',
    'Connection is closed.',
    'Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.',
    "Stream isn't writeable and enableOfflineQueue options is false",
    'connect ECONNREFUSED 127.0.0.1:6379',
    'connect ENOENT /tmp/redis.sock',
    "OOM command not allowed when used memory > 'maxmemory'.",
    'LOADING Redis is loading the dataset in memory',
  ])('maps %j to redis_unavailable', (message) => {
    expect(isRedisUnavailable(new Error(message))).toBe(true);
    expect(() => asUnavailable(new Error(message))).toThrow(
      expect.objectContaining({ code: 'redis_unavailable', retryable: true }),
    );
  });

  it('passes other errors through unchanged', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'state')");
    expect(isRedisUnavailable(bug)).toBe(false);
    expect(() => asUnavailable(bug)).toThrow(bug);
    const typed = new ValidationError('bad');
    expect(() => asUnavailable(typed)).toThrow(typed);
    expect(isRedisUnavailable(new InfrastructureError('x', 'Command timed out'))).toBe(false);
  });
});
