import { describe, expect, it } from 'vitest';
import { k8sClients, testJob, uniqueName, useTestNamespace, waitFor } from '../support/k8s.js';

describe('the scheduler with a pod no node can take', () => {
  const ns = useTestNamespace('unsched');
  const k = k8sClients();

  it('reports the pod Unschedulable and leaves it unbound', async () => {
    const spec = { ...testJob('unused').spec!.template.spec!, nodeSelector: { 'ci-fixer.test/no-such-node': 'true' } };
    const name = uniqueName('nowhere');
    await k.core.createNamespacedPod({ namespace: ns.name, body: { metadata: { name }, spec } });

    const condition = await waitFor(`PodScheduled=False on ${name}`, async () => {
      const pod = await k.core.readNamespacedPod({ name, namespace: ns.name });
      return pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    });

    expect(condition.reason).toBe('Unschedulable');
    expect(condition.message).toMatch(/didn't match Pod's node affinity\/selector/);
    const pod = await k.core.readNamespacedPod({ name, namespace: ns.name });
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.status?.phase).toBe('Pending');
  });
});
