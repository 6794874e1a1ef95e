// Limits on intake, checked before a task is stored: a per-token rate (rate-limiter-flexible on
// Redis, so every API replica counts together) and a cap on queued tasks. API clients get 429
// with Retry-After; the webhook has its own, higher cap and gets 503, which GitHub redelivers.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { InfrastructureError, OverloadedError, TooManyRequestsError } from '../errors.js';
import type { QueueCounts } from '../queue/types.js';
import { withTimeout } from '../timeout.js';

export interface IntakeLimitsOptions {
  /** Shared counters across replicas; in-process counters when omitted (tests, one replica). */
  redis?: Redis;
  prefix: string;
  /** Submissions per token per minute; 0 turns the rate limit off. */
  perTokenPerMinute: number;
  /** Queued (not yet running) tasks above which API submissions get 429; 0: no cap. */
  maxQueued: number;
  /** The same for webhook deliveries (503); 0: no cap. */
  webhookMaxQueued: number;
  counts: () => Promise<QueueCounts>;
  /** How long one queue count is reused; bounds the cost under a burst (default 1000). */
  countsCacheMs?: number;
  /** Longest wait for Redis per check; then 503 (default 2000). */
  timeoutMs?: number;
  /** Retry-After when the queue is full (default 30). */
  queueFullRetrySeconds?: number;
}

export interface IntakeLimits {
  /** Throws TooManyRequestsError when `tokenName` is over its rate or the queue is full. */
  admit(tokenName: string): Promise<void>;
  /** Throws OverloadedError when the queue is above the webhook cap. */
  admitWebhook(): Promise<void>;
}

export function createIntakeLimits(options: IntakeLimitsOptions): IntakeLimits {
  const cacheMs = options.countsCacheMs ?? 1000;
  const retrySeconds = options.queueFullRetrySeconds ?? 30;
  const timeoutMs = options.timeoutMs ?? 2000;
  const limiterOptions = {
    keyPrefix: `${options.prefix}:ratelimit:submit`,
    points: options.perTokenPerMinute,
    duration: 60,
  };
  const limiter: RateLimiterAbstract | undefined =
    options.perTokenPerMinute === 0
      ? undefined
      : options.redis === undefined
        ? new RateLimiterMemory(limiterOptions)
        : new RateLimiterRedis({ ...limiterOptions, storeClient: options.redis });
  let cached: { at: number; queued: Promise<number> } | undefined;

  const queued = (): Promise<number> => {
    if (cached === undefined || Date.now() - cached.at >= cacheMs) {
      const queuedNow = options.counts().then((c) => c.waiting + c.prioritized + c.delayed);
      // A failed count must not be reused.
      queuedNow.catch(() => (cached = undefined));
      cached = { at: Date.now(), queued: queuedNow };
    }
    return cached.queued;
  };

  return {
    async admit(tokenName) {
      if (limiter !== undefined) {
        try {
          await withTimeout(limiter.consume(tokenName), timeoutMs, 'rate limit check');
        } catch (err) {
          if (err instanceof InfrastructureError) throw err;
          if (err instanceof RateLimiterRes) {
            const wait = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
            throw new TooManyRequestsError(
              `rate limit of ${options.perTokenPerMinute} submissions per minute reached for this token`,
              wait,
            );
          }
          throw new InfrastructureError('rate_limiter_unavailable', 'the rate limiter could not be reached', {
            cause: err,
          });
        }
      }
      if (options.maxQueued > 0 && (await withTimeout(queued(), timeoutMs, 'queue count')) >= options.maxQueued) {
        throw new TooManyRequestsError(
          `the queue holds MAX_QUEUED_TASKS (${options.maxQueued}) tasks; retry later`,
          retrySeconds,
        );
      }
    },
    async admitWebhook() {
      if (
        options.webhookMaxQueued > 0 &&
        (await withTimeout(queued(), timeoutMs, 'queue count')) >= options.webhookMaxQueued
      ) {
        throw new OverloadedError(
          `the queue holds WEBHOOK_MAX_QUEUED_TASKS (${options.webhookMaxQueued}) tasks; redeliver later`,
          retrySeconds,
        );
      }
    },
  };
}
