// k8s/ is rendered from the chart by `npm run manifests`; this fails when someone edits one and
// not the other. k8s/dedicated/ uses the dedicated layout: the app's objects in ci-fixer, the
// sandbox's in a namespace of their own; every object names its namespace. (The guide's layout in
// k8s/ is checked file by file in test/unit/plain-manifests-follow-the-guide.test.ts.)
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';
import {
  APP_NAMESPACE,
  LAYOUTS,
  MANIFEST_FILES,
  SANDBOX_NAMESPACE,
  staleManifests,
} from '../../scripts/render-manifests.js';

describe('k8s/ manifests', () => {
  it('are exactly what `npm run manifests` renders from the chart', async () => {
    expect(await staleManifests()).toEqual([]);
  });

  it('reports an edited or missing file as stale', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ci-fixer-manifests-'));
    for (const file of Object.keys(MANIFEST_FILES)) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      copyFileSync(join(REPO_ROOT, file), join(root, file));
    }
    const role = join(root, 'k8s/rbac/role.yaml');
    writeFileSync(role, readFileSync(role, 'utf8').replace('["get"]', '["get", "list"]'));
    rmSync(join(root, 'k8s/sandbox/policies.yaml'));

    try {
      expect(await staleManifests(root)).toEqual(['k8s/rbac/role.yaml', 'k8s/sandbox/policies.yaml']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('k8s/dedicated/ puts sandboxes in a namespace of their own, locked down, apart from the app', () => {
    const sandboxKinds: string[] = [];
    for (const file of Object.keys(LAYOUTS.dedicated.files)) {
      for (const doc of parseAllDocuments(readFileSync(join(REPO_ROOT, file), 'utf8'))) {
        const obj = doc.toJS() as {
          kind: string;
          metadata: { name: string; namespace?: string; labels?: Record<string, string> };
          subjects?: Array<{ namespace?: string }>;
        } | null;
        if (!obj) continue;
        if (obj.kind === 'Namespace') {
          expect([APP_NAMESPACE, SANDBOX_NAMESPACE]).toContain(obj.metadata.name);
          expect(obj.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
          continue;
        }
        // Deployments, Services, the Redis, the app's ServiceAccount.
        if (obj.metadata.namespace === APP_NAMESPACE) {
          expect(obj.metadata.name, `${file} ${obj.kind}`).not.toMatch(/^ci-fixer-sandbox/);
          continue;
        }
        expect(obj.metadata.namespace, `${file} ${obj.kind}`).toBe(SANDBOX_NAMESPACE);
        sandboxKinds.push(`${obj.kind}/${obj.metadata.name}`);
        for (const s of obj.subjects ?? []) expect(s.namespace, `${file} subject`).toBe(APP_NAMESPACE);
      }
    }
    expect(new Set(sandboxKinds)).toEqual(
      new Set([
        'ServiceAccount/ci-fixer-sandbox',
        'Role/ci-fixer-sandbox-manager',
        'RoleBinding/ci-fixer-sandbox-binding',
        'NetworkPolicy/ci-fixer-sandbox',
        'ResourceQuota/ci-fixer-sandbox',
        'LimitRange/ci-fixer-sandbox',
      ]),
    );
    const config = parseAllDocuments(readFileSync(join(REPO_ROOT, 'k8s/dedicated/deployment.yaml'), 'utf8'))
      .map((d) => d.toJS() as { kind: string; data?: Record<string, string> })
      .find((o) => o?.kind === 'ConfigMap');
    expect(config?.data?.SANDBOX_NAMESPACE).toBe(SANDBOX_NAMESPACE);
  });

  it('put the seed RBAC objects in k8s/rbac/k8s.yaml and the Deployments and Service in the deployment manifest', () => {
    const kinds = (file: string) =>
      parseAllDocuments(readFileSync(join(REPO_ROOT, file), 'utf8'))
        .map((d) => d.toJS() as { kind: string; metadata: { name: string } } | null)
        .filter((o) => o !== null)
        .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds('k8s/rbac/k8s.yaml')).toEqual([
      'ServiceAccount/ci-fixer-app',
      'ServiceAccount/ci-fixer-sandbox',
      'Role/ci-fixer-sandbox-manager',
      'RoleBinding/ci-fixer-sandbox-binding',
    ]);
    expect(kinds('k8s/deployment/deployment.yaml')).toEqual(
      expect.arrayContaining([
        'Deployment/ci-fixer-app',
        'Deployment/ci-fixer-worker',
        'Service/ci-fixer-app',
        'ConfigMap/ci-fixer-config',
      ]),
    );
  });
});
