// Kubernetes API failures in ci-fixer's terms. A full namespace quota or a throttled / failing API
// server means "not now", so the task waits (CapacityError, no attempt spent); anything else is an
// infrastructure error the queue retries with backoff.
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1DeleteOptions } from '@kubernetes/client-node';
import { CapacityError, InfrastructureError } from '../../errors.js';

/** The HTTP status of a failed API call, if it got that far. */
export function apiStatusCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** The server's own explanation (the v1.Status message), not the client's multi-line dump. */
export function apiMessage(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const body = (err as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.slice(0, 500);
    }
  }
  if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string') {
    return (parsed as { message: string }).message;
  }
  const status = apiStatusCode(err);
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
  return status === undefined ? message : `HTTP ${status}: ${message}`;
}

function header(err: unknown, name: string): string | undefined {
  const headers = (err as { headers?: Record<string, string> } | null)?.headers;
  if (headers === undefined || headers === null) return undefined;
  const hit = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  return hit?.[1];
}

export const CAPACITY_BASE_DELAY_MS = 5_000;
export const CAPACITY_MAX_DELAY_MS = 120_000;

/** Exponential, capped, with jitter so many waiting tasks do not return in lockstep. */
export function capacityDelayMs(consecutive: number, random: () => number = Math.random): number {
  const base = Math.min(CAPACITY_MAX_DELAY_MS, CAPACITY_BASE_DELAY_MS * 2 ** Math.max(0, Math.min(consecutive, 10)));
  return Math.round(base * (0.75 + random() * 0.5));
}

/** A Retry-After header in milliseconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

export const THROTTLE_BASE_DELAY_MS = 500;
/** One wait for a throttled call is at most this long, whatever Retry-After asks. */
export const THROTTLE_MAX_DELAY_MS = 10_000;

/**
 * How long to wait before repeating a request the API server throttled (429) or could not serve
 * (503): what its Retry-After asks, never less, plus up to a quarter more so the many callers it
 * refused at once do not all return in the same second; without the header, exponential from
 * THROTTLE_BASE_DELAY_MS. Capped at maxMs either way.
 */
export function throttleDelayMs(
  retryAfter: number | undefined,
  attempt: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = retryAfter ?? THROTTLE_BASE_DELAY_MS * 2 ** Math.max(0, Math.min(attempt, 10));
  return Math.round(Math.min(maxMs, base * (1 + random() * 0.25)));
}

/**
 * A throttled (429) or unavailable (503) answer and the wait it asked for: from a REST call's
 * ApiException (code, headers) or a refused exec upgrade (statusCode, retryAfterMs).
 */
export function throttledBy(err: unknown): { retryAfterMs: number | undefined } | undefined {
  const status = apiStatusCode(err);
  if (status !== 429 && status !== 503) return undefined;
  const carried = (err as { retryAfterMs?: unknown }).retryAfterMs;
  return { retryAfterMs: typeof carried === 'number' ? carried : retryAfterMs(header(err, 'retry-after')) };
}

export interface ThrottleRetryPolicy {
  /** Longest total wait across the retries; past it the last refusal is the call's error. */
  maxWaitMs: number;
  /** Longest single wait, whatever Retry-After asks. */
  maxDelayMs: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/**
 * Repeats `call` while the API server throttles it (429, as priority and fairness answers under
 * load, or 503), each time after the wait its Retry-After asks for (throttleDelayMs), bounded in
 * total. For calls that are safe to repeat: reads, deletes with a uid precondition, and exec
 * upgrades (a refused upgrade never started its command). Any other error is thrown at once.
 */
export async function retryThrottled<T>(call: () => Promise<T>, policy: ThrottleRetryPolicy): Promise<T> {
  const wait = policy.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, signal ? { signal } : {}));
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const throttled = throttledBy(err);
      if (throttled === undefined || policy.signal?.aborted) throw err;
      const delay = throttleDelayMs(throttled.retryAfterMs, attempt, policy.maxDelayMs, policy.random);
      if (waited + delay > policy.maxWaitMs) throw err;
      waited += delay;
      await wait(delay, policy.signal).catch(() => undefined);
      if (policy.signal?.aborted) throw err;
    }
  }
}

export function isQuotaExceeded(err: unknown): boolean {
  return apiStatusCode(err) === 403 && /exceeded quota/i.test(apiMessage(err));
}

/**
 * Maps a failed Job create. `consecutive` counts this task's capacity waits so far (backoff).
 */
export function classifyCreateError(err: unknown, consecutive: number, random?: () => number): Error {
  const status = apiStatusCode(err);
  const message = apiMessage(err);
  if (isQuotaExceeded(err)) {
    return new CapacityError(`sandbox quota exhausted: ${message}`, capacityDelayMs(consecutive, random), {
      cause: err,
    });
  }
  if (status === 429 || (status !== undefined && status >= 500)) {
    const retryAfter = retryAfterMs(header(err, 'retry-after'));
    // Jittered upwards: the tasks one throttled moment refused must not all return in the same second.
    const delay =
      retryAfter !== undefined && retryAfter > 0
        ? throttleDelayMs(retryAfter, consecutive, CAPACITY_MAX_DELAY_MS, random)
        : capacityDelayMs(consecutive, random);
    return new CapacityError(`Kubernetes API busy (HTTP ${status}): ${message}`, delay, { cause: err });
  }
  if (status === undefined)
    return new InfrastructureError('kubernetes_unreachable', `Kubernetes API unreachable: ${message}`, { cause: err });
  return new InfrastructureError(
    'sandbox_create_failed',
    `could not create the sandbox Job (HTTP ${status}): ${message}`,
    { cause: err },
  );
}

/**
 * DeleteOptions for a sandbox Job. The policy goes in the body: when a DELETE has a body, the API
 * server ignores the query parameters, and a Job's default policy orphans its pod.
 */
export function backgroundDelete(uid?: string): V1DeleteOptions {
  return { propagationPolicy: 'Background', ...(uid !== undefined ? { preconditions: { uid } } : {}) };
}

export function kubernetesError(code: string, what: string, err: unknown): InfrastructureError {
  const status = apiStatusCode(err);
  return new InfrastructureError(
    code,
    `${what}${status === undefined ? '' : ` (HTTP ${status})`}: ${apiMessage(err)}`,
    { cause: err },
  );
}
