// The seed's plain-kubectl path, step by step as k8s/README.md gives it, on a clean namespace:
// apply k8s/rbac/k8s.yaml, check the objects and permissions, create the Secret, apply the
// deployment manifest, and see both Deployments available.
import { join } from 'node:path';
import { AppsV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';
import { k8sClients, useTestNamespace } from '../support/k8s.js';
import { deploymentAvailable, kubectl, runVerifyScript } from '../support/helm-release.js';

const manifest = (file: string) => join(REPO_ROOT, file);

describe('kubectl apply of the k8s/ manifests on a clean namespace', () => {
  // k8s/README.md asks for the namespace to enforce Pod Security "restricted" first.
  const ns = useTestNamespace('deploy-plain', { 'pod-security.kubernetes.io/enforce': 'restricted' });
  const k = k8sClients();

  it('kubectl apply -f k8s/rbac/k8s.yaml creates the seed RBAC objects', async () => {
    const apply = await kubectl(['apply', '-n', ns.name, '-f', manifest('k8s/rbac/k8s.yaml')]);

    expect(apply.stderr).toBe('');
    expect(apply.stdout.trim().split('\n')).toEqual([
      'serviceaccount/ci-fixer-app created',
      'serviceaccount/ci-fixer-sandbox created',
      'role.rbac.authorization.k8s.io/ci-fixer-sandbox-manager created',
      'rolebinding.rbac.authorization.k8s.io/ci-fixer-sandbox-binding created',
    ]);
    for (const [kind, name] of [
      ['serviceaccount', 'ci-fixer-app'],
      ['serviceaccount', 'ci-fixer-sandbox'],
      ['role', 'ci-fixer-sandbox-manager'],
      ['rolebinding', 'ci-fixer-sandbox-binding'],
    ] as const) {
      const get = await kubectl(['get', kind, name, '-n', ns.name]);
      expect(get.code, `${kind} ${name}: ${get.stderr}`).toBe(0);
    }
  });

  it('grants ci-fixer-app jobs in the namespace and nothing cluster-wide', async () => {
    const as = `--as=system:serviceaccount:${ns.name}:ci-fixer-app`;
    expect((await kubectl(['auth', 'can-i', 'create', 'jobs', '-n', ns.name, as])).stdout.trim()).toBe('yes');
    expect((await kubectl(['auth', 'can-i', 'delete', 'nodes', as])).stdout.trim()).toBe('no');
    expect((await kubectl(['auth', 'can-i', 'get', 'secrets', '-n', ns.name, as])).stdout.trim()).toBe('no');
  });

  it('passes the verify script in the shared layout', async () => {
    const result = await runVerifyScript(['--namespace', ns.name]);
    expect(result.stdout).toContain(`namespace ${ns.name}, sandbox namespace ${ns.name}`);
    expect(result.stdout).not.toContain('❌');
    expect(result.code).toBe(0);
  });

  it('kubectl apply of the deployment manifest leaves both Deployments available', async () => {
    const secret = await kubectl(['create', 'secret', 'generic', 'ci-fixer-secrets', '-n', ns.name, '--from-literal=API_TOKENS=plain-path-token']);
    expect(secret.code, secret.stderr).toBe(0);

    const apply = await kubectl(['apply', '-n', ns.name, '-f', manifest('k8s/deployment/deployment.yaml'), '-f', manifest('k8s/sandbox/policies.yaml')]);

    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('deployment.apps/ci-fixer-app created');
    expect(apply.stdout).toContain('deployment.apps/ci-fixer-worker created');
    expect(apply.stdout).toContain('service/ci-fixer-app created');
    await deploymentAvailable(k, ns.name, 'ci-fixer-app', 1);
    await deploymentAvailable(k, ns.name, 'ci-fixer-worker', 1);
    const pods = await kubectl(['get', 'pods', '-n', ns.name, '-l', 'app=ci-fixer', '-o', 'jsonpath={.items[*].metadata.name}']);
    expect(pods.stdout.split(' ').map((p) => p.replace(/-[a-z0-9]+-[a-z0-9]+$/, '')).sort()).toEqual(['ci-fixer-app', 'ci-fixer-worker']);
  });

  it('tells the workers to run sandboxes in their own namespace', async () => {
    const worker = await k.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'ci-fixer-worker', namespace: ns.name });
    const env = worker.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'SANDBOX_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.namespace');
  });
});
