import { type V1Job, Watch } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  finishPod,
  jobPods,
  k8sClients,
  runningJobPod,
  testJob,
  uniqueName,
  useTestNamespace,
  waitFor,
} from '../support/k8s.js';

describe('the TTL-after-finished controller', () => {
  const ns = useTestNamespace('ttl');
  const k = k8sClients();

  it('deletes a Job with ttlSecondsAfterFinished once it has completed, and its pods with it', async () => {
    const name = uniqueName('ttl');
    await k.batch.createNamespacedJob({ namespace: ns.name, body: testJob(name, { ttlSecondsAfterFinished: 1 }) });
    const pod = await runningJobPod(k, ns.name, name);

    // A watch sees every state the Job passes through, so the Complete condition cannot slip
    // between two polls before the TTL controller removes the Job.
    const seen: { type: string; complete: boolean }[] = [];
    const watch = await new Watch(k.kc).watch(
      `/apis/batch/v1/namespaces/${ns.name}/jobs`,
      { fieldSelector: `metadata.name=${name}` },
      (type, job: V1Job) => {
        seen.push({
          type,
          complete: job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ?? false,
        });
      },
      () => undefined,
    );
    try {
      await finishPod(k, ns.name, pod.metadata?.name ?? '', 0);
      await waitFor(`the TTL controller to delete Job ${name}`, async () =>
        seen.some((e) => e.type === 'DELETED') ? true : undefined,
      );
    } finally {
      watch.abort();
    }

    const completedAt = seen.findIndex((e) => e.complete);
    expect(completedAt, `watch events: ${JSON.stringify(seen)}`).toBeGreaterThanOrEqual(0);
    expect(seen.findIndex((e) => e.type === 'DELETED')).toBeGreaterThan(completedAt);
    await waitFor(`pods of deleted Job ${name} to be removed`, async () =>
      (await jobPods(k, ns.name, name)).length === 0 ? true : undefined,
    );
  });
});
