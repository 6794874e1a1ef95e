import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  apiError,
  k8sClients,
  runningJobPod,
  TEST_IMAGE,
  testJob,
  uniqueName,
  useTestNamespace,
} from '../support/k8s.js';

describe('Pod Security admission in a namespace enforcing restricted', () => {
  const ns = useTestNamespace('psa', { 'pod-security.kubernetes.io/enforce': 'restricted' });
  const k = k8sClients();

  it('rejects a privileged pod with the violated policy named', async () => {
    const pod: V1Pod = {
      metadata: { name: uniqueName('privileged') },
      spec: { containers: [{ name: 'main', image: TEST_IMAGE, securityContext: { privileged: true } }] },
    };

    const refused = await apiError(() => k.core.createNamespacedPod({ namespace: ns.name, body: pod }));

    expect(refused.code).toBe(403);
    expect(refused.reason).toBe('Forbidden');
    expect(refused.message).toContain('violates PodSecurity "restricted:latest"');
    expect(refused.message).toContain('privileged');
  });

  it('admits a pod that meets the restricted profile', async () => {
    const template = testJob('unused').spec!.template;
    const pod: V1Pod = { metadata: { name: uniqueName('restricted') }, spec: template.spec };

    const created = await k.core.createNamespacedPod({ namespace: ns.name, body: pod });

    expect(created.metadata?.uid).toBeTruthy();
  });

  it('lets the job controller create the pods of a restricted Job', async () => {
    const name = uniqueName('job');
    await k.batch.createNamespacedJob({ namespace: ns.name, body: testJob(name) });

    const pod = await runningJobPod(k, ns.name, name);

    expect(pod.spec?.securityContext?.runAsNonRoot).toBe(true);
  });
});
