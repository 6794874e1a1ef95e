// The plain manifests as the deployment guide uses them, read as files (no cluster, no helm):
// k8s/ puts everything in the current namespace with the guide's names and the least-privilege
// Role; k8s/dedicated/ keeps the app and its sandboxes apart, and every one of its files creates
// the namespaces it uses before anything in them, so no file fails on a fresh cluster.
// test/k8s/chart-manifests-match-k8s-dir.test.ts checks they are what the chart renders.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';
import {
  APP_NAMESPACE,
  GUIDE_NAMESPACE,
  GUIDE_RELEASE,
  LAYOUTS,
  SANDBOX_NAMESPACE,
} from '../../scripts/render-manifests.js';
import { ruleProblems } from '../../scripts/verify-k8s-deployment.js';

interface Obj {
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: any;
}

const objects = (file: string): Obj[] =>
  parseAllDocuments(readFileSync(join(REPO_ROOT, file), 'utf8'))
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
const find = (file: string, kind: string, name: string): Obj => {
  const found = objects(file).find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`${file}: no ${kind} ${name}`);
  return found;
};
const guideFiles = Object.keys(LAYOUTS.guide.files);
const dedicatedFiles = Object.keys(LAYOUTS.dedicated.files);

describe("k8s/: the guide's layout", () => {
  it('names no namespace anywhere, so kubectl apply -f puts everything in the current one', () => {
    for (const file of guideFiles)
      for (const o of objects(file)) {
        expect(o.kind, file).not.toBe('Namespace');
        expect(o.metadata.namespace, `${file} ${o.kind}/${o.metadata.name}`).toBeUndefined();
        for (const s of o.subjects ?? []) expect(s.namespace, `${file} subject`).toBeUndefined();
      }
  });

  it('k8s/rbac/k8s.yaml holds the four objects of the guide, in the order of its expected output', () => {
    expect(objects('k8s/rbac/k8s.yaml').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/ci-fixer-app',
      'ServiceAccount/ci-fixer-sandbox',
      'Role/ci-fixer-sandbox-manager',
      'RoleBinding/ci-fixer-sandbox-binding',
    ]);
    const role = find('k8s/rbac/k8s.yaml', 'Role', 'ci-fixer-sandbox-manager');
    expect(ruleProblems(role.rules)).toEqual({ extra: [], missing: [] });
    const binding = find('k8s/rbac/k8s.yaml', 'RoleBinding', 'ci-fixer-sandbox-binding');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ci-fixer-app' }]);
  });

  it("runs the guide's image, and the worker's sandboxes in its own namespace", () => {
    const file = 'k8s/deployment/deployment.yaml';
    for (const name of ['ci-fixer-app', 'ci-fixer-worker']) {
      const pod = find(file, 'Deployment', name).spec.template;
      expect(pod.metadata.labels.app, name).toBe('ci-fixer');
      expect(pod.spec.containers[0]).toMatchObject({ image: 'ci-fixer:latest', imagePullPolicy: 'IfNotPresent' });
      expect(pod.spec.containers[0].env, name).toContainEqual({
        name: 'POD_NAMESPACE',
        valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
      });
    }
    expect(find(file, 'ConfigMap', 'ci-fixer-config').data.SANDBOX_NAMESPACE).toBeUndefined();
  });

  it('creates its Secret in the cluster with a Job whose account can create Secrets and read only that one', () => {
    const file = 'k8s/deployment/deployment.yaml';
    const job = find(file, 'Job', 'ci-fixer-secret-init');
    expect(job.spec.template.spec.serviceAccountName).toBe('ci-fixer-secret-init');
    expect(job.spec.template.spec.containers[0].args).toEqual([
      '--secret',
      'ci-fixer-secrets',
      '--helm-release',
      GUIDE_RELEASE,
    ]);
    expect(find(file, 'Role', 'ci-fixer-secret-init').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['ci-fixer-secrets'], verbs: ['get'] },
    ]);
    expect(find(file, 'RoleBinding', 'ci-fixer-secret-init').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'ci-fixer-secret-init' },
    ]);
    // The app's own account gets nothing on Secrets: nothing in k8s/ binds it to that Role.
    for (const f of guideFiles)
      for (const o of objects(f).filter((x) => x.kind === 'RoleBinding'))
        if (o.roleRef.name === 'ci-fixer-secret-init')
          expect(o.subjects.map((s: { name: string }) => s.name)).toEqual(['ci-fixer-secret-init']);
  });

  it("carries Helm's ownership metadata, so the guide's later helm install adopts the objects", () => {
    for (const file of guideFiles)
      for (const o of objects(file)) {
        const what = `${file} ${o.kind}/${o.metadata.name}`;
        expect(o.metadata.labels?.['app.kubernetes.io/managed-by'], what).toBe('Helm');
        expect(o.metadata.annotations, what).toEqual({
          'meta.helm.sh/release-name': GUIDE_RELEASE,
          'meta.helm.sh/release-namespace': GUIDE_NAMESPACE,
        });
      }
  });
});

describe('k8s/dedicated/: app and sandboxes in namespaces of their own', () => {
  it('creates, at the top of every file, each namespace that file puts objects in', () => {
    for (const file of dedicatedFiles) {
      const objs = objects(file);
      const leading = objs.findIndex((o) => o.kind !== 'Namespace');
      const created = objs.slice(0, leading).map((o) => o.metadata.name);
      expect(
        objs.slice(leading).filter((o) => o.kind === 'Namespace'),
        file,
      ).toEqual([]);
      const used = new Set(objs.slice(leading).map((o) => o.metadata.namespace));
      expect(used.has(undefined), `${file}: an object without a namespace`).toBe(false);
      expect(new Set(created), file).toEqual(used);
      for (const ns of objs.slice(0, leading))
        expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], `${file} ${ns.metadata.name}`).toBe(
          'restricted',
        );
    }
  });

  it('gives ci-fixer-app the sandbox Role in the sandbox namespace only', () => {
    const file = 'k8s/dedicated/rbac.yaml';
    expect(find(file, 'ServiceAccount', 'ci-fixer-app').metadata.namespace).toBe(APP_NAMESPACE);
    for (const [kind, name] of [
      ['ServiceAccount', 'ci-fixer-sandbox'],
      ['Role', 'ci-fixer-sandbox-manager'],
      ['RoleBinding', 'ci-fixer-sandbox-binding'],
    ] as const)
      expect(find(file, kind, name).metadata.namespace, `${kind} ${name}`).toBe(SANDBOX_NAMESPACE);
    expect(find(file, 'RoleBinding', 'ci-fixer-sandbox-binding').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'ci-fixer-app', namespace: APP_NAMESPACE },
    ]);
    expect(ruleProblems(find(file, 'Role', 'ci-fixer-sandbox-manager').rules)).toEqual({ extra: [], missing: [] });
    expect(find('k8s/dedicated/deployment.yaml', 'ConfigMap', 'ci-fixer-config').data.SANDBOX_NAMESPACE).toBe(
      SANDBOX_NAMESPACE,
    );
  });
});
