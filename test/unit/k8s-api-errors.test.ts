import { ApiException, KubeConfig, type V1Job } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { CapacityError, InfrastructureError } from '../../src/errors.js';
import { createKubernetesSandboxProvider } from '../../src/sandbox/kubernetes/provider.js';
import {
  apiMessage,
  backgroundDelete,
  capacityDelayMs,
  CAPACITY_MAX_DELAY_MS,
  classifyCreateError,
} from '../../src/sandbox/kubernetes/api-errors.js';
import { reapReason } from '../../src/sandbox/kubernetes/reaper.js';
import { ANNOTATION_TASK_ID } from '../../src/sandbox/kubernetes/labels.js';

// The client library throws ApiException with the server's v1.Status as an unparsed JSON body.
function apiError(code: number, message: string, headers: Record<string, string> = {}): ApiException<string> {
  return new ApiException(
    code,
    'Unknown API Status Code!',
    JSON.stringify({ kind: 'Status', status: 'Failure', message, code }),
    headers,
  );
}
const half = () => 0.5;

describe('Job create failures', () => {
  it('turns a ResourceQuota rejection into a capacity wait, with growing backoff', () => {
    const err = apiError(
      403,
      'jobs.batch "x" is forbidden: exceeded quota: sandboxes, requested: count/jobs.batch=1, used: count/jobs.batch=2, limited: count/jobs.batch=2',
    );
    const first = classifyCreateError(err, 0, half);
    expect(first).toBeInstanceOf(CapacityError);
    expect(first.message).toContain('exceeded quota');
    const later = classifyCreateError(err, 3, half) as CapacityError;
    expect(later.retryAfterMs).toBeGreaterThan((first as CapacityError).retryAfterMs);
    expect((classifyCreateError(err, 50, half) as CapacityError).retryAfterMs).toBeLessThanOrEqual(
      CAPACITY_MAX_DELAY_MS,
    );
  });

  it('waits on throttling and server errors, honouring Retry-After', () => {
    const throttled = classifyCreateError(apiError(429, 'too many requests', { 'retry-after': '7' }), 0, half);
    expect(throttled).toBeInstanceOf(CapacityError);
    // Never sooner than asked; up to a quarter later, so the tasks refused together spread out.
    expect((throttled as CapacityError).retryAfterMs).toBeGreaterThanOrEqual(7000);
    expect((throttled as CapacityError).retryAfterMs).toBeLessThanOrEqual(8750);
    for (const code of [500, 503, 504])
      expect(classifyCreateError(apiError(code, 'etcdserver: leader changed'), 0, half)).toBeInstanceOf(CapacityError);
  });

  it('treats other refusals and an unreachable API server as retryable infrastructure errors', () => {
    const forbidden = classifyCreateError(apiError(403, 'jobs.batch is forbidden: User "x" cannot create resource'), 0);
    expect(forbidden).toBeInstanceOf(InfrastructureError);
    expect(forbidden).not.toBeInstanceOf(CapacityError);
    expect(forbidden.message).toContain('cannot create resource');
    const refused = classifyCreateError(
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      0,
    );
    expect(refused).toMatchObject({ code: 'kubernetes_unreachable', retryable: true });
  });

  it('extracts the server message instead of the client dump', () => {
    expect(apiMessage(apiError(422, 'Job.batch "x" is invalid'))).toBe('Job.batch "x" is invalid');
    expect(apiMessage(new ApiException(500, 'x', 'plain text body', {}))).toBe('plain text body');
  });

  it('puts the Background policy in the delete body, where the API server reads it', () => {
    expect(backgroundDelete('u-1')).toEqual({ propagationPolicy: 'Background', preconditions: { uid: 'u-1' } });
    expect(backgroundDelete()).toEqual({ propagationPolicy: 'Background' });
  });

  it('spreads capacity delays with jitter around an exponential base', () => {
    expect(capacityDelayMs(0, () => 0)).toBe(3750);
    expect(capacityDelayMs(0, () => 1)).toBe(6250);
    expect(capacityDelayMs(1, half)).toBe(10_000);
  });
});

describe('reaper decisions', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const job = (taskId: string, createdAt: string, deleting = false): V1Job => ({
    metadata: {
      name: 'j',
      uid: 'u',
      creationTimestamp: new Date(createdAt),
      annotations: { [ANNOTATION_TASK_ID]: taskId },
      ...(deleting ? { deletionTimestamp: new Date(createdAt) } : {}),
    },
  });
  const active = new Set(['live']);
  const opts = { maxAgeMs: 3_600_000, isTaskActive: async (id: string) => active.has(id), local: new Set<string>() };

  it('deletes Jobs of tasks no worker holds, and any Job past the maximum age', async () => {
    expect(await reapReason(job('dead', '2026-01-01T11:59:00Z'), now, opts)).toBe('task_inactive');
    expect(await reapReason(job('live', '2026-01-01T11:59:00Z'), now, opts)).toBeUndefined();
    expect(await reapReason(job('live', '2026-01-01T10:00:00Z'), now, opts)).toBe('max_age');
  });

  it('keeps Jobs being deleted, Jobs of sandboxes open here, and (without a task check) young Jobs', async () => {
    expect(await reapReason(job('dead', '2026-01-01T11:59:00Z', true), now, opts)).toBeUndefined();
    expect(
      await reapReason(job('dead', '2026-01-01T11:59:00Z'), now, { ...opts, local: new Set(['dead']) }),
    ).toBeUndefined();
    expect(
      await reapReason(job('dead', '2026-01-01T11:59:00Z'), now, { maxAgeMs: opts.maxAgeMs, local: new Set() }),
    ).toBeUndefined();
  });
});

describe('provider start against an unreachable API server', () => {
  it('fails start() with the reason instead of hanging', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'closed', server: 'http://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'c', cluster: 'closed', user: 'u' }],
      currentContext: 'c',
    });
    const config = loadConfig({ SANDBOX_DRIVER: 'kubernetes', KUBECONFIG: '/nonexistent' }).sandbox.kubernetes;
    const provider = createKubernetesSandboxProvider({
      config,
      logger: pino({ level: 'silent' }),
      kubeConfig: kc,
      tuning: { startTimeoutMs: 1500 },
    });
    const err = await provider.start().then(
      () => new Error('expected start() to fail'),
      (e: unknown) => e as Error,
    );
    expect(err).toMatchObject({ code: 'kubernetes_unreachable' });
    expect(err.message).toContain('could not list sandbox pods');
    await provider.stop();
  });
});
