// values-prod.yaml on the real cluster: two api replicas behind a LoadBalancer Service, an
// external Redis from an existing Secret (no bundled Redis), and the worker HPA accepted by the
// API server as autoscaling/v2 with External metrics.
import { AutoscalingV2Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { k8sClients, useTestNamespace } from '../support/k8s.js';
import { CHART, RELEASE, deploymentAvailable, helm, kubectl } from '../support/helm-release.js';

describe('helm install with values-prod.yaml', () => {
  const ns = useTestNamespace('deploy-prod');
  const k = k8sClients();
  afterAll(async () => {
    if (ns.name) await helm(['uninstall', RELEASE, '-n', ns.name, '--wait', '--timeout', '150s'], false);
  });

  it('installs from an existing Secret and an external Redis, with the HPA in place', async () => {
    const secret = await kubectl([
      'create',
      'secret',
      'generic',
      'ci-fixer-secrets',
      '-n',
      ns.name,
      '--from-literal=API_TOKENS=prod-token',
      '--from-literal=REDIS_URL=redis://redis.example.internal:6379/0',
    ]);
    expect(secret.code, secret.stderr).toBe(0);

    // No --wait: helm would wait for a LoadBalancer address, which no test cluster hands out.
    await helm([
      'install',
      RELEASE,
      CHART,
      '-n',
      ns.name,
      '-f',
      `${CHART}/values-prod.yaml`,
      '--set',
      'image.repository=registry.example.com/ci-fixer',
    ]);

    const api = await deploymentAvailable(k, ns.name, 'ci-fixer-app', 2);
    expect(api.spec?.template.spec?.containers[0]?.image).toBe('registry.example.com/ci-fixer:latest');
    expect(api.spec?.template.spec?.containers[0]?.imagePullPolicy).toBe('Always');
    expect(api.spec?.template.spec?.containers[0]?.resources).toEqual({
      requests: { cpu: '500m', memory: '1Gi' },
      limits: { cpu: '2', memory: '4Gi' },
    });
    await deploymentAvailable(k, ns.name, 'ci-fixer-worker');
    expect((await kubectl(['get', 'deployment', 'ci-fixer-redis', '-n', ns.name])).code).not.toBe(0);
    const svc = await k.core.readNamespacedService({ name: 'ci-fixer-app', namespace: ns.name });
    expect(svc.spec?.type).toBe('LoadBalancer');

    const hpa = await k.kc
      .makeApiClient(AutoscalingV2Api)
      .readNamespacedHorizontalPodAutoscaler({ name: 'ci-fixer-worker', namespace: ns.name });
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.metrics?.map((m) => `${m.type}:${m.external?.metric.name}`)).toEqual([
      'External:ci_fixer_queue_demand',
    ]);
  });
});
