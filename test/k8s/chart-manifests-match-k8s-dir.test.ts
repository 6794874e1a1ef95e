// k8s/ is rendered from the chart by `npm run manifests`; this fails when someone edits one and
// not the other. The plain manifests must also apply to any namespace, so they name none.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';
import { MANIFEST_FILES, staleManifests } from '../../scripts/render-manifests.js';

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

  it('name no namespace, so they apply to whichever one kubectl targets', () => {
    for (const file of Object.keys(MANIFEST_FILES)) {
      for (const doc of parseAllDocuments(readFileSync(join(REPO_ROOT, file), 'utf8'))) {
        const obj = doc.toJS() as { kind: string; metadata: { namespace?: string }; subjects?: Array<{ namespace?: string }> } | null;
        if (!obj) continue;
        expect(obj.kind, file).not.toBe('Namespace');
        expect(obj.metadata.namespace, `${file} ${obj.kind}`).toBeUndefined();
        for (const s of obj.subjects ?? []) expect(s.namespace, `${file} subject`).toBeUndefined();
      }
    }
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
      expect.arrayContaining(['Deployment/ci-fixer-app', 'Deployment/ci-fixer-worker', 'Service/ci-fixer-app', 'ConfigMap/ci-fixer-config']),
    );
  });
});
