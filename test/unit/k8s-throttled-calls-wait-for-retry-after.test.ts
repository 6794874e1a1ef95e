// A throttled Kubernetes API (429 from priority and fairness, or 503) is waited out as its
// Retry-After asks, with a bounded total, instead of failing the task or retrying at once; other
// errors are not retried. Sleeps are injected: the waits asked for are what is checked.
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { retryAfterMs, retryThrottled, throttleDelayMs, throttledBy } from '../../src/sandbox/kubernetes/api-errors.js';

const apiError = (code: number, headers: Record<string, string> = {}) =>
  new ApiException(code, `HTTP ${code}`, '{"kind":"Status","message":"slow down"}', headers);

function scripted(errors: unknown[]): { call: () => Promise<string>; calls: () => number } {
  let n = 0;
  return {
    call: async () => {
      const err = errors[n++];
      if (err !== undefined) throw err;
      return 'ok';
    },
    calls: () => n,
  };
}

describe('throttled Kubernetes calls', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('0')).toBe(0);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  it('recognises 429 and 503 from REST calls and refused exec upgrades, nothing else', () => {
    expect(throttledBy(apiError(429, { 'Retry-After': '5' }))).toEqual({ retryAfterMs: 5000 });
    expect(throttledBy(apiError(503))).toEqual({ retryAfterMs: undefined });
    expect(throttledBy({ code: 'sandbox_exec_refused', statusCode: 429, retryAfterMs: 1000 })).toEqual({
      retryAfterMs: 1000,
    });
    expect(throttledBy(apiError(403))).toBeUndefined();
    expect(throttledBy(apiError(500))).toBeUndefined();
    expect(throttledBy(new Error('ECONNRESET'))).toBeUndefined();
  });

  it('never waits less than Retry-After, spreads callers over a quarter more, and caps the wait', () => {
    expect(throttleDelayMs(2000, 0, 10_000, () => 0)).toBe(2000);
    expect(throttleDelayMs(2000, 0, 10_000, () => 1)).toBe(2500);
    expect(throttleDelayMs(60_000, 0, 10_000, () => 0)).toBe(10_000);
    // Without a header: exponential from 500 ms.
    expect(throttleDelayMs(undefined, 0, 10_000, () => 0)).toBe(500);
    expect(throttleDelayMs(undefined, 3, 10_000, () => 0)).toBe(4000);
  });

  it('repeats a throttled call after the wait the server asked for, then returns its answer', async () => {
    const waits: number[] = [];
    const s = scripted([apiError(429, { 'retry-after': '2' }), apiError(429, { 'retry-after': '1' })]);
    const out = await retryThrottled(s.call, {
      maxWaitMs: 60_000,
      maxDelayMs: 10_000,
      random: () => 0,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(out).toBe('ok');
    expect(s.calls()).toBe(3);
    expect(waits).toEqual([2000, 1000]);
  });

  it('gives up with the last refusal once the total wait would pass its bound', async () => {
    const waits: number[] = [];
    const s = scripted(Array.from({ length: 100 }, () => apiError(429, { 'retry-after': '4' })));
    const err = await retryThrottled(s.call, {
      maxWaitMs: 10_000,
      maxDelayMs: 10_000,
      random: () => 0,
      sleep: async (ms) => void waits.push(ms),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<unknown>).code).toBe(429);
    expect(waits).toEqual([4000, 4000]);
    expect(s.calls()).toBe(3);
  });

  it('throws any other error at once', async () => {
    const waits: number[] = [];
    const s = scripted([apiError(404)]);
    await expect(
      retryThrottled(s.call, { maxWaitMs: 60_000, maxDelayMs: 10_000, sleep: async (ms) => void waits.push(ms) }),
    ).rejects.toMatchObject({ code: 404 });
    expect(waits).toEqual([]);
    expect(s.calls()).toBe(1);
  });

  it('stops waiting when its signal aborts (a cancelled task)', async () => {
    const controller = new AbortController();
    const s = scripted([apiError(429, { 'retry-after': '1' }), apiError(429, { 'retry-after': '1' })]);
    const err = await retryThrottled(s.call, {
      maxWaitMs: 60_000,
      maxDelayMs: 10_000,
      signal: controller.signal,
      sleep: async () => controller.abort(),
    }).catch((e: unknown) => e);
    expect((err as ApiException<unknown>).code).toBe(429);
    expect(s.calls()).toBe(1);
  });
});
