import { describe, expect, it } from 'vitest';
import { jobPods, k8sClients, runningJobPod, testJob, uniqueName, useTestNamespace, waitFor } from '../support/k8s.js';

describe('a Job past its activeDeadlineSeconds', () => {
  const ns = useTestNamespace('deadline');
  const k = k8sClients();

  it('is marked Failed with DeadlineExceeded by the job controller, which removes its running pod', async () => {
    const name = uniqueName('deadline');
    const body = testJob(name);
    body.spec!.activeDeadlineSeconds = 2;
    await k.batch.createNamespacedJob({ namespace: ns.name, body });
    await runningJobPod(k, ns.name, name);

    const failed = await waitFor(`Job ${name} to fail on its deadline`, async () => {
      const job = await k.batch.readNamespacedJob({ name, namespace: ns.name });
      return job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    });

    expect(failed.reason).toBe('DeadlineExceeded');
    await waitFor(`pods of Job ${name} to be removed`, async () =>
      (await jobPods(k, ns.name, name)).length === 0 ? true : undefined,
    );
  });
});
