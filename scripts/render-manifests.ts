// `npm run manifests`: renders the plain-kubectl manifests in k8s/ from the Helm chart, so the two
// install paths cannot disagree. `--check` writes nothing and exits 1 when a file is stale.
//
// Two layouts (k8s/README.md):
// - the deployment guide's (k8s/rbac, k8s/deployment, k8s/sandbox): the chart's shared layout.
//   No object names a namespace, so `kubectl apply -f` puts everything, sandbox Jobs included, in
//   the current namespace (`default` unless switched), as the guide's checks expect. The Secret is
//   created in the cluster by a one-shot Job (templates/secret-init.yaml): the guide has no step
//   for it and a file cannot hold a random value. Every object carries Helm's ownership metadata
//   for release `ci-fixer` in `default`, so the guide's later `helm install ci-fixer ./chart` there
//   adopts them instead of failing on objects it does not own.
// - the dedicated one (k8s/dedicated/), recommended for production: the app in `ci-fixer`, sandboxes
//   in `ci-fixer-sandboxes` (Pod Security restricted, quota, LimitRange), so a sandbox cannot exec
//   into, or read the Secret of, the app. Every object names its namespace, and every file starts
//   with the Namespaces its objects live in, so any file applies on a fresh cluster.
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHART_DIR, REPO_ROOT, runTool } from './lib/cluster-tools.js';

/** The dedicated layout's namespaces. */
export const APP_NAMESPACE = 'ci-fixer';
export const SANDBOX_NAMESPACE = 'ci-fixer-sandboxes';
/** The guide's `helm install ci-fixer ./chart`: the release that may adopt the guide layout's objects. */
export const GUIDE_RELEASE = 'ci-fixer';
export const GUIDE_NAMESPACE = 'default';

export interface Layout {
  /** Chart values (--set). */
  values: string[];
  /** Namespace named on every namespaced object; undefined: none (the current namespace). */
  namespace?: string;
  /** Helm ownership annotations for this release and namespace. */
  adoptableBy?: { release: string; namespace: string };
  /** Output file (relative to the repo) -> chart templates it is made of, in order. */
  files: Record<string, string[]>;
}

const SECRET = 'secret.existingSecret=ci-fixer-secrets';
const DEPLOYMENT = [
  'configmap.yaml',
  'secret-init.yaml',
  'redis.yaml',
  'deployment-api.yaml',
  'deployment-worker.yaml',
  'service.yaml',
  'pdb.yaml',
];
const RBAC = ['rbac/serviceaccount.yaml', 'rbac/role.yaml', 'rbac/rolebinding.yaml'];

export const LAYOUTS: Record<'guide' | 'dedicated', Layout> = {
  guide: {
    values: ['sandbox.namespace.dedicated=false', SECRET, 'secret.initJob.enabled=true'],
    adoptableBy: { release: GUIDE_RELEASE, namespace: GUIDE_NAMESPACE },
    files: {
      'k8s/rbac/serviceaccount.yaml': ['rbac/serviceaccount.yaml'],
      'k8s/rbac/role.yaml': ['rbac/role.yaml'],
      'k8s/rbac/rolebinding.yaml': ['rbac/rolebinding.yaml'],
      'k8s/rbac/k8s.yaml': RBAC,
      'k8s/deployment/deployment.yaml': DEPLOYMENT,
      'k8s/sandbox/policies.yaml': ['sandbox/networkpolicy.yaml', 'sandbox/quota.yaml'],
    },
  },
  dedicated: {
    values: [
      'sandbox.namespace.dedicated=true',
      `sandbox.namespace.name=${SANDBOX_NAMESPACE}`,
      SECRET,
      'secret.initJob.enabled=true',
    ],
    namespace: APP_NAMESPACE,
    files: {
      'k8s/dedicated/rbac.yaml': RBAC,
      'k8s/dedicated/deployment.yaml': DEPLOYMENT,
      'k8s/dedicated/sandbox-policies.yaml': ['sandbox/networkpolicy.yaml', 'sandbox/quota.yaml'],
    },
  },
};

/** Every generated file, both layouts. */
export const MANIFEST_FILES: Record<string, string[]> = { ...LAYOUTS.guide.files, ...LAYOUTS.dedicated.files };

/** Cluster-scoped kinds the chart renders; everything else lives in a namespace. */
const CLUSTER_SCOPED = new Set(['Namespace']);

interface Meta {
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
}

function header(layout: Layout): string {
  return [
    '# Generated from chart/ by `npm run manifests` (scripts/render-manifests.ts). Do not edit: change',
    '# the chart and re-run it; a test fails when this file and the chart disagree.',
    `# Chart values: ${layout.values.join(', ')}; ${layout.namespace ? `namespace ${layout.namespace}` : 'no namespace (the current one)'}.`,
  ].join('\n');
}

/** Inserts lines right after `metadata:\n  name: ...` of a document. */
function afterName(doc: string, lines: string[], what: string): string {
  const out = doc.replace(/^metadata:\n {2}name: .+$/m, (head) => [head, ...lines].join('\n'));
  if (out === doc) throw new Error(`cannot add ${what}: metadata does not start with name`);
  return out;
}

/** Names `namespace` on a namespaced object that names none (helm's release namespace). */
function withNamespace(doc: string, namespace: string): string {
  const obj = parse(doc) as Meta | null;
  if (obj?.kind === undefined || CLUSTER_SCOPED.has(obj.kind) || obj.metadata?.namespace !== undefined) return doc;
  return afterName(doc, [`  namespace: ${namespace}`], `the namespace of a ${obj.kind}`);
}

/** Helm's ownership annotations (the label app.kubernetes.io/managed-by: Helm is the chart's own). */
function withHelmOwner(doc: string, owner: { release: string; namespace: string }): string {
  const obj = parse(doc) as Meta | null;
  if (obj?.kind === undefined) return doc;
  if (obj.metadata?.annotations !== undefined) throw new Error(`${obj.kind} already has annotations`);
  return afterName(
    doc,
    [
      '  annotations:',
      `    meta.helm.sh/release-name: ${owner.release}`,
      `    meta.helm.sh/release-namespace: ${owner.namespace}`,
    ],
    `Helm annotations to a ${obj.kind}`,
  );
}

/** Splits `helm template` output into documents keyed by template path (e.g. "rbac/role.yaml"). */
export function documentsBySource(rendered: string): Map<string, string[]> {
  const bySource = new Map<string, string[]>();
  for (const doc of rendered.split(/^---\n/m)) {
    const match = /^# Source: [^/]+\/templates\/(.+)$/m.exec(doc);
    if (!match?.[1]) continue;
    const body = doc.replace(/^# Source: .*\n/m, '').trimEnd();
    if (body === '') continue;
    const list = bySource.get(match[1]) ?? [];
    list.push(body);
    bySource.set(match[1], list);
  }
  return bySource;
}

/** The app namespace of the dedicated layout, restricted like the chart's sandbox namespace. */
function appNamespaceDoc(name: string): string {
  return [
    '# The app (api, worker, Redis). Every ci-fixer pod passes Pod Security "restricted".',
    'apiVersion: v1',
    'kind: Namespace',
    'metadata:',
    `  name: ${name}`,
    '  labels:',
    '    app.kubernetes.io/part-of: ci-fixer',
    '    pod-security.kubernetes.io/enforce: restricted',
    '    pod-security.kubernetes.io/enforce-version: latest',
  ].join('\n');
}

/** The Namespaces `docs` live in, as documents to put first: a file applies on a fresh cluster. */
function namespacesFirst(docs: string[], chartNamespaces: Map<string, string>): string[] {
  const used = new Set<string>();
  for (const doc of docs) {
    const ns = (parse(doc) as Meta | null)?.metadata?.namespace;
    if (ns !== undefined) used.add(ns);
  }
  return [...used].sort().map((ns) => chartNamespaces.get(ns) ?? appNamespaceDoc(ns));
}

export async function renderLayout(layout: Layout): Promise<Map<string, string>> {
  const args = ['template', GUIDE_RELEASE, CHART_DIR, '--namespace', layout.namespace ?? GUIDE_NAMESPACE];
  for (const v of layout.values) args.push('--set', v);
  const result = await runTool('helm', args);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr.trim()}`);
  const docs = documentsBySource(result.stdout);
  // Namespaces the chart itself renders (the dedicated sandbox namespace), by name.
  const chartNamespaces = new Map<string, string>();
  for (const doc of docs.get('sandbox/namespace.yaml') ?? []) {
    const name = (parse(doc) as Meta | null)?.metadata?.name;
    if (name) chartNamespaces.set(name, doc);
  }
  const files = new Map<string, string>();
  for (const [file, sources] of Object.entries(layout.files)) {
    let parts = sources.flatMap((source) => {
      const found = docs.get(source);
      if (!found) throw new Error(`${file}: chart template ${source} rendered nothing`);
      return found;
    });
    const { namespace, adoptableBy } = layout;
    if (namespace !== undefined) {
      parts = parts.map((d) => withNamespace(d, namespace));
      parts = [...namespacesFirst(parts, chartNamespaces), ...parts];
    }
    if (adoptableBy !== undefined) parts = parts.map((d) => withHelmOwner(d, adoptableBy));
    files.set(file, `${header(layout)}\n---\n${parts.join('\n---\n')}\n`);
  }
  return files;
}

export async function renderManifests(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const layout of Object.values(LAYOUTS)) for (const [f, c] of await renderLayout(layout)) files.set(f, c);
  return files;
}

/** Files whose content on disk differs from a fresh render. */
export async function staleManifests(root = REPO_ROOT): Promise<string[]> {
  const stale: string[] = [];
  for (const [file, content] of await renderManifests()) {
    const current = await readFile(join(root, file), 'utf8').catch(() => undefined);
    if (current !== content) stale.push(file);
  }
  return stale;
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--check')) {
    const stale = await staleManifests();
    if (stale.length > 0) {
      process.stderr.write(`stale (run \`npm run manifests\`): ${stale.join(', ')}\n`);
      process.exitCode = 1;
    }
    return;
  }
  for (const [file, content] of await renderManifests()) {
    const path = join(REPO_ROOT, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    process.stdout.write(`wrote ${relative(REPO_ROOT, path)}\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`render-manifests: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
