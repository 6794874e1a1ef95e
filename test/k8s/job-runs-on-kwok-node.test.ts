import { describe, expect, it } from 'vitest';
import { k8sClients, runningJobPod, testJob, uniqueName, useTestNamespace, waitFor } from '../support/k8s.js';

describe('a batch/v1 Job on the test cluster', () => {
  const ns = useTestNamespace('job-runs');
  const k = k8sClients();

  it('gets a pod from the job controller that the scheduler binds to a kwok node and that runs', async () => {
    const name = uniqueName('job');
    const job = await k.batch.createNamespacedJob({ namespace: ns.name, body: testJob(name) });

    const pod = await runningJobPod(k, ns.name, name);

    const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
    expect(owner).toMatchObject({ kind: 'Job', name, uid: job.metadata?.uid });
    const kwokNodes = (await k.core.listNode({ labelSelector: 'type=kwok' })).items.map((n) => n.metadata?.name);
    expect(kwokNodes).toContain(pod.spec?.nodeName);
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    expect(pod.status?.containerStatuses?.[0]?.state?.running).toBeDefined();

    const active = await waitFor(`Job ${name} to report its pod active`, async () => {
      const j = await k.batch.readNamespacedJob({ name, namespace: ns.name });
      return j.status?.active === 1 ? j : undefined;
    });
    expect(active.status?.succeeded ?? 0).toBe(0);
  });
});
