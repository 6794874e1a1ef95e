import { describe, expect, it } from 'vitest';
import { k8sClients, PULL_FAILS_IMAGE, testJob, uniqueName, useTestNamespace, waitFor } from '../support/k8s.js';

describe('a pod whose image cannot be pulled', () => {
  const ns = useTestNamespace('pull');
  const k = k8sClients();

  it('shows ErrImagePull and then ImagePullBackOff in its container status', async () => {
    const spec = testJob('unused').spec!.template.spec!;
    spec.containers[0]!.image = PULL_FAILS_IMAGE;
    const name = uniqueName('pull');
    await k.core.createNamespacedPod({ namespace: ns.name, body: { metadata: { name }, spec } });

    const reasons = new Set<string>();
    await waitFor(`ImagePullBackOff on ${name}`, async () => {
      const pod = await k.core.readNamespacedPod({ name, namespace: ns.name });
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.reason) reasons.add(waiting.reason);
      return waiting?.reason === 'ImagePullBackOff' ? waiting : undefined;
    });

    const pod = await k.core.readNamespacedPod({ name, namespace: ns.name });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain(PULL_FAILS_IMAGE);
    expect([...reasons].every((r) => r === 'ErrImagePull' || r === 'ImagePullBackOff')).toBe(true);
  });
});
