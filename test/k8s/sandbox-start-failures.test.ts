// A sandbox that cannot start fails fast with the pod's Events in the message, its Job deleted;
// a full quota is a wait (CapacityError), not a failure; and a namespace that enforces Pod
// Security "restricted" admits the sandbox as built.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CapacityError, InfrastructureError } from '../../src/errors.js';
import { jobNameForTask } from '../../src/sandbox/kubernetes/labels.js';
import { apiError, k8sClients, PULL_FAILS_IMAGE, TEST_IMAGE, testJob, uniqueName, waitFor } from '../support/k8s.js';
import { jobGone, sandboxJobs, startProvider, useSandboxNamespace } from '../support/k8s-sandbox.js';

async function startError(create: Promise<unknown>): Promise<Error> {
  const outcome = await create.then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  if (outcome === undefined) throw new Error('expected the sandbox to fail to start, but it became ready');
  return outcome;
}

const HUGE_CPU = {
  cpuRequest: '1000',
  cpuLimit: '1000',
  memoryRequest: '256Mi',
  memoryLimit: '1Gi',
  ephemeralStorage: '1Gi',
};

describe('kubernetes sandbox start failures', () => {
  const ns = useSandboxNamespace('sbx-fail');

  /** Starts a sandbox that must fail; returns the error once its Job is gone too. */
  async function failedStart(overrides: Parameters<typeof startProvider>[1]): Promise<Error> {
    const { provider } = await startProvider(ns.name, overrides);
    try {
      const taskId = randomUUID();
      const err = await startError(provider.create({ taskId, timeoutSeconds: 60 }));
      expect(err).toBeInstanceOf(InfrastructureError);
      expect(err.message).toContain('recent events:');
      await jobGone(ns.name, jobNameForTask(taskId));
      return err;
    } finally {
      await provider.stop();
    }
  }

  it('fails an image that cannot be pulled after the grace, with the pull events, and deletes the Job', async () => {
    const err = await failedStart({ image: PULL_FAILS_IMAGE, imagePullGraceSeconds: 2, readyTimeoutSeconds: 120 });
    expect(err).toMatchObject({ code: 'sandbox_image_pull_failed', retryable: true });
    expect(err.message).toMatch(/ErrImagePull|ImagePullBackOff/);
    // The kwok pull-failure stage records a Failed event on the pod; it is in the message.
    expect(err.message).toContain('Failed to pull image');
  });

  it('fails an unschedulable pod after its grace, with the scheduler events, and deletes the Job', async () => {
    const err = await failedStart({ resources: HUGE_CPU, unschedulableGraceSeconds: 2, readyTimeoutSeconds: 120 });
    expect(err).toMatchObject({ code: 'sandbox_unschedulable' });
    expect(err.message).toContain('Insufficient cpu');
    expect(err.message).toContain('FailedScheduling');
  });

  it('gives up on a pod that is not ready within the ready timeout, naming its state', async () => {
    const err = await failedStart({ resources: HUGE_CPU, unschedulableGraceSeconds: 600, readyTimeoutSeconds: 5 });
    expect(err).toMatchObject({ code: 'sandbox_ready_timeout' });
    expect(err.message).toContain('not ready within 5 s');
    expect(err.message).toContain('FailedScheduling');
  });
});

describe('kubernetes sandbox under a ResourceQuota', () => {
  const ns = useSandboxNamespace('sbx-quota');
  const k = k8sClients();

  it('waits (CapacityError with a delay) while the Job quota is exhausted, and starts once there is room', async () => {
    await k.core.createNamespacedResourceQuota({
      namespace: ns.name,
      body: { metadata: { name: 'sandbox-jobs' }, spec: { hard: { 'count/jobs.batch': '1' } } },
    });
    const filler = uniqueName('filler');
    // Quota admission needs the quota's usage computed first; until then it refuses everything.
    await waitFor('the quota to be accounted', async () => {
      const quota = await k.core.readNamespacedResourceQuota({ name: 'sandbox-jobs', namespace: ns.name });
      return quota.status?.hard?.['count/jobs.batch'] === '1' ? true : undefined;
    });
    await k.batch.createNamespacedJob({ namespace: ns.name, body: testJob(filler) });
    const refused = await apiError(() =>
      k.batch.createNamespacedJob({ namespace: ns.name, body: testJob(uniqueName('probe')) }),
    );
    expect(refused.message).toContain('exceeded quota');

    const { provider } = await startProvider(ns.name);
    try {
      const taskId = randomUUID();
      const first = await startError(provider.create({ taskId, timeoutSeconds: 60 }));
      expect(first).toBeInstanceOf(CapacityError);
      expect(first.message).toContain('exceeded quota');
      const delay = (first as CapacityError).retryAfterMs;
      expect(delay).toBeGreaterThan(0);
      // Waiting longer each time the quota is still full.
      const second = (await startError(provider.create({ taskId, timeoutSeconds: 60 }))) as CapacityError;
      expect(second).toBeInstanceOf(CapacityError);
      expect(second.retryAfterMs).toBeGreaterThan(delay);
      expect((await sandboxJobs(ns.name)).some((j) => j.taskId === taskId)).toBe(false);

      await k.batch.deleteNamespacedJob({
        name: filler,
        namespace: ns.name,
        body: { propagationPolicy: 'Background' },
      });
      const sandbox = await waitFor('a sandbox once the quota has room', async () => {
        try {
          return await provider.create({ taskId, timeoutSeconds: 60 });
        } catch (err) {
          if (err instanceof CapacityError) return undefined;
          throw err;
        }
      });
      expect((await sandbox.exec('true', { timeoutMs: 30_000 })).exitCode).toBe(0);
      await sandbox.dispose();
    } finally {
      await provider.stop();
    }
  });
});

describe('kubernetes sandbox in a namespace enforcing Pod Security "restricted"', () => {
  const ns = useSandboxNamespace('sbx-psa', {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });
  const k = k8sClients();

  it('is admitted and runs, while a non-compliant pod in the same namespace is refused', async () => {
    const refused = await apiError(() =>
      k.core.createNamespacedPod({
        namespace: ns.name,
        body: { metadata: { name: uniqueName('root') }, spec: { containers: [{ name: 'main', image: TEST_IMAGE }] } },
      }),
    );
    expect(refused.message).toContain('violates PodSecurity "restricted:latest"');

    const { provider, logs } = await startProvider(ns.name);
    try {
      const sandbox = await provider.create({ taskId: randomUUID(), timeoutSeconds: 60 });
      expect((await sandbox.exec('exit 3', { timeoutMs: 30_000 })).exitCode).toBe(3);
      await sandbox.dispose();
      expect(logs.some((e) => e.msg === 'sandbox_start_failed')).toBe(false);
    } finally {
      await provider.stop();
    }
  });
});
