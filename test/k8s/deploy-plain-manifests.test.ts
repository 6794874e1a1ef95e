// The dedicated layout of the plain manifests (k8s/dedicated/), step by step as k8s/README.md
// gives it, on clean namespaces: k8s/dedicated/rbac.yaml creating both namespaces and then the
// RBAC objects, the permissions (jobs and exec in the sandbox namespace only, never in the app's),
// the Secret, the deployment manifest, and both Deployments available. The README's sed renames
// the two namespaces, as done here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';
import { APP_NAMESPACE, SANDBOX_NAMESPACE } from '../../scripts/render-manifests.js';
import { k8sClients, useTestNamespace } from '../support/k8s.js';
import { deploymentAvailable, kubectl, runVerifyScript } from '../support/helm-release.js';

describe('kubectl apply of the k8s/ manifests on clean namespaces', () => {
  const ns = useTestNamespace('deploy-plain', { 'pod-security.kubernetes.io/enforce': 'restricted' });
  const sandboxNs = () => `${ns.name}-sb`;
  const k = k8sClients();
  let dir: string;

  /** A k8s/dedicated/ file renamed as the README's sed does (the sandbox namespace, the app's). */
  const manifest = (file: string): string => {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8')
      .replaceAll(SANDBOX_NAMESPACE, sandboxNs())
      .replace(new RegExp(`namespace: ${APP_NAMESPACE}$`, 'gm'), `namespace: ${ns.name}`)
      .replace(new RegExp(`^  name: ${APP_NAMESPACE}$`, 'gm'), `  name: ${ns.name}`);
    const out = join(dir, file.replaceAll('/', '_'));
    writeFileSync(out, text);
    return out;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ci-fixer-plain-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await k.kc
      .makeApiClient(CoreV1Api)
      .deleteNamespace({ name: sandboxNs(), propagationPolicy: 'Background' })
      .catch(() => undefined);
  });

  it('kubectl apply -f k8s/dedicated/rbac.yaml creates both namespaces, restricted, then the seed RBAC objects', async () => {
    const apply = await kubectl(['apply', '-f', manifest('k8s/dedicated/rbac.yaml')]);

    expect(apply.code, apply.stderr).toBe(0);
    // The app's namespace exists already (made for the test), so it is configured, not created.
    expect(apply.stdout.trim().split('\n')).toEqual([
      `namespace/${ns.name} configured`,
      `namespace/${sandboxNs()} created`,
      'serviceaccount/ci-fixer-app created',
      'serviceaccount/ci-fixer-sandbox created',
      'role.rbac.authorization.k8s.io/ci-fixer-sandbox-manager created',
      'rolebinding.rbac.authorization.k8s.io/ci-fixer-sandbox-binding created',
    ]);
    for (const name of [ns.name, sandboxNs()]) {
      const created = await k.kc.makeApiClient(CoreV1Api).readNamespace({ name });
      expect(created.metadata?.labels?.['pod-security.kubernetes.io/enforce'], name).toBe('restricted');
    }
    for (const [kind, name, namespace] of [
      ['serviceaccount', 'ci-fixer-app', ns.name],
      ['serviceaccount', 'ci-fixer-sandbox', sandboxNs()],
      ['role', 'ci-fixer-sandbox-manager', sandboxNs()],
      ['rolebinding', 'ci-fixer-sandbox-binding', sandboxNs()],
    ] as const) {
      const get = await kubectl(['get', kind, name, '-n', namespace]);
      expect(get.code, `${kind} ${name}: ${get.stderr}`).toBe(0);
    }
  });

  it('grants ci-fixer-app jobs and exec in the sandbox namespace only, never where the app runs', async () => {
    const as = `--as=system:serviceaccount:${ns.name}:ci-fixer-app`;
    const can = async (...args: string[]) => (await kubectl(['auth', 'can-i', ...args, as])).stdout.trim();
    expect(await can('create', 'jobs', '-n', sandboxNs())).toBe('yes');
    expect(await can('create', 'pods', '--subresource=exec', '-n', sandboxNs())).toBe('yes');
    expect(await can('create', 'jobs', '-n', ns.name)).toBe('no');
    expect(await can('create', 'pods', '--subresource=exec', '-n', ns.name)).toBe('no');
    expect(await can('get', 'secrets', '-n', ns.name)).toBe('no');
    expect(await can('get', 'secrets', '-n', sandboxNs())).toBe('no');
    expect(await can('delete', 'nodes')).toBe('no');
  });

  it('passes the verify script in the dedicated layout', async () => {
    const result = await runVerifyScript(['--namespace', ns.name, '--sandbox-namespace', sandboxNs()]);
    expect(result.stdout).toContain(`namespace ${ns.name}, sandbox namespace ${sandboxNs()}`);
    expect(result.stdout).not.toContain('❌');
    expect(result.code).toBe(0);
  });

  it('kubectl apply of the deployment manifest leaves both Deployments available', async () => {
    const secret = await kubectl([
      'create',
      'secret',
      'generic',
      'ci-fixer-secrets',
      '-n',
      ns.name,
      '--from-literal=API_TOKENS=plain-path-token',
      '--from-literal=REDIS_PASSWORD=plain-path-redis-password',
    ]);
    expect(secret.code, secret.stderr).toBe(0);

    const apply = await kubectl([
      'apply',
      '-f',
      manifest('k8s/dedicated/deployment.yaml'),
      '-f',
      manifest('k8s/dedicated/sandbox-policies.yaml'),
    ]);

    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('deployment.apps/ci-fixer-app created');
    expect(apply.stdout).toContain('deployment.apps/ci-fixer-worker created');
    expect(apply.stdout).toContain('service/ci-fixer-app created');
    expect(apply.stdout).toContain('limitrange/ci-fixer-sandbox created');
    await deploymentAvailable(k, ns.name, 'ci-fixer-app', 1);
    await deploymentAvailable(k, ns.name, 'ci-fixer-worker', 1);
    const pods = await kubectl([
      'get',
      'pods',
      '-n',
      ns.name,
      '-l',
      'app=ci-fixer',
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ]);
    expect(
      pods.stdout
        .split(' ')
        .map((p) => p.replace(/-[a-z0-9]+-[a-z0-9]+$/, ''))
        .sort(),
    ).toEqual(['ci-fixer-app', 'ci-fixer-worker']);
  });

  it('tells the workers to run sandboxes in the sandbox namespace', async () => {
    const cm = await k.kc
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ name: 'ci-fixer-config', namespace: ns.name });
    expect(cm.data?.SANDBOX_NAMESPACE).toBe(sandboxNs());
    const worker = await k.kc
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: 'ci-fixer-worker', namespace: ns.name });
    expect(
      (worker.spec?.template.spec?.containers[0]?.env ?? []).find((e) => e.name === 'SANDBOX_NAMESPACE'),
    ).toBeUndefined();
  });
});
