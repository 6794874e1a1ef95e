// The Secret of the plain manifests (k8s/deployment/deployment.yaml): the one-shot Job
// ci-fixer-secret-init runs src/init-secrets.ts as its own ServiceAccount. Here the same code runs
// with that ServiceAccount's token and the Role and RoleBinding from the manifest: it creates the
// Secret once (random, Helm-adoptable), keeps it on every later run, and the account can read no
// other Secret.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { V1Role, V1RoleBinding } from '@kubernetes/client-node';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';
import { ensureSecret } from '../../src/init-secrets.js';
import { apiError, k8sClients, loadKubeConfig, useTestNamespace, waitFor } from '../support/k8s.js';

const SA = 'ci-fixer-secret-init';

function manifestObject<T>(kind: string): T {
  const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'k8s/deployment/deployment.yaml'), 'utf8'));
  const found = docs
    .map((d) => d.toJS() as { kind: string; metadata: { name: string; annotations?: unknown } })
    .find((o) => o?.kind === kind && o.metadata.name === SA);
  if (!found) throw new Error(`no ${kind} ${SA} in k8s/deployment/deployment.yaml`);
  // Applied as given, minus Helm's ownership annotations (not what is tested here).
  const { annotations: _, ...metadata } = found.metadata;
  return { ...found, metadata } as T;
}

describe('init-secrets as the ServiceAccount of k8s/deployment/deployment.yaml', () => {
  const ns = useTestNamespace('secret-init');
  const admin = k8sClients();

  async function asSecretInit() {
    await admin.core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: SA } } });
    await admin.rbac.createNamespacedRole({ namespace: ns.name, body: manifestObject<V1Role>('Role') });
    await admin.rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: manifestObject<V1RoleBinding>('RoleBinding'),
    });
    const request = await admin.core.createNamespacedServiceAccountToken({
      name: SA,
      namespace: ns.name,
      body: { spec: { expirationSeconds: 600, audiences: [] } },
    });
    return k8sClients(loadKubeConfig({ name: SA, token: request.status?.token ?? '' }));
  }

  it('creates the Secret once with random values and Helm metadata, keeps it afterwards, and reads no other', async () => {
    const account = await asSecretInit();
    await admin.core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: 'someone-elses' }, stringData: { KEY: 'value' } },
    });
    const options = { core: account.core, namespace: ns.name, name: 'ci-fixer-secrets', helmRelease: 'ci-fixer' };

    // The RoleBinding takes effect within moments of its creation.
    expect(await waitFor('the first run', () => ensureSecret(options))).toBe('created');
    const created = await admin.core.readNamespacedSecret({ name: 'ci-fixer-secrets', namespace: ns.name });
    const value = (key: string) => Buffer.from(created.data?.[key] ?? '', 'base64').toString();
    expect(value('API_TOKENS')).toMatch(/^[0-9a-f]{40}$/);
    expect(value('REDIS_PASSWORD')).toMatch(/^[0-9a-f]{40}$/);
    expect(value('API_TOKENS')).not.toBe(value('REDIS_PASSWORD'));
    expect(created.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'Helm' });
    expect(created.metadata?.annotations).toEqual({
      'meta.helm.sh/release-name': 'ci-fixer',
      'meta.helm.sh/release-namespace': ns.name,
    });

    expect(await ensureSecret(options)).toBe('kept');
    const again = await admin.core.readNamespacedSecret({ name: 'ci-fixer-secrets', namespace: ns.name });
    expect(again.data).toEqual(created.data);

    const other = await apiError(() =>
      account.core.readNamespacedSecret({ name: 'someone-elses', namespace: ns.name }),
    );
    expect(other.code).toBe(403);
    const list = await apiError(() => account.core.listNamespacedSecret({ namespace: ns.name }));
    expect(list.code).toBe(403);
  });

  it('fails with a typed error when it may not read the Secret', async () => {
    const nobody = k8sClients(loadKubeConfig({ name: 'nobody', token: 'not-a-token' }));
    await expect(
      ensureSecret({ core: nobody.core, namespace: ns.name, name: 'ci-fixer-secrets' }),
    ).rejects.toMatchObject({
      code: 'secret_init_failed',
      message: expect.stringMatching(/^cannot read Secret .*: 401 /),
    });
  });
});
