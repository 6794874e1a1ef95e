// `npm run manifests`: renders the plain-kubectl manifests in k8s/ from the Helm chart, so the two
// install paths cannot disagree. `--check` writes nothing and exits 1 when a file is stale.
//
// The k8s/ files use the chart's dedicated layout, as a Helm install does: the app in namespace
// `ci-fixer`, sandboxes in `ci-fixer-sandboxes` (Pod Security restricted, quota, LimitRange), so
// a sandbox's pod cannot exec into, or read the Secret of, the app. Every object names its
// namespace (helm leaves the release namespace implicit; it is added here), so one file may hold
// both and `kubectl apply -f` needs no -n. The Secret is created by hand.
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHART_DIR, REPO_ROOT, runTool } from './lib/cluster-tools.js';

export const APP_NAMESPACE = 'ci-fixer';
export const SANDBOX_NAMESPACE = 'ci-fixer-sandboxes';
export const MANIFEST_VALUES = [
  'sandbox.namespace.dedicated=true',
  `sandbox.namespace.name=${SANDBOX_NAMESPACE}`,
  'secret.existingSecret=ci-fixer-secrets',
];

/** Output file (relative to the repo) -> chart templates it is made of, in order. */
export const MANIFEST_FILES: Record<string, string[]> = {
  'k8s/rbac/serviceaccount.yaml': ['rbac/serviceaccount.yaml'],
  'k8s/rbac/role.yaml': ['rbac/role.yaml'],
  'k8s/rbac/rolebinding.yaml': ['rbac/rolebinding.yaml'],
  'k8s/rbac/k8s.yaml': ['rbac/serviceaccount.yaml', 'rbac/role.yaml', 'rbac/rolebinding.yaml'],
  'k8s/deployment/deployment.yaml': [
    'configmap.yaml',
    'redis.yaml',
    'deployment-api.yaml',
    'deployment-worker.yaml',
    'service.yaml',
    'pdb.yaml',
  ],
  'k8s/sandbox/namespace.yaml': ['sandbox/namespace.yaml'],
  'k8s/sandbox/policies.yaml': ['sandbox/networkpolicy.yaml', 'sandbox/quota.yaml'],
};

const HEADER = [
  '# Generated from chart/ by `npm run manifests` (scripts/render-manifests.ts). Do not edit: change',
  '# the chart and re-run it; a test fails when this file and the chart disagree.',
  `# Chart values: ${MANIFEST_VALUES.join(', ')}; namespace ${APP_NAMESPACE}.`,
].join('\n');

/** Cluster-scoped kinds the chart renders; everything else lives in a namespace. */
const CLUSTER_SCOPED = new Set(['Namespace']);

/** Names the app namespace on a namespaced object that names none (helm's release namespace). */
function withNamespace(doc: string): string {
  const obj = parse(doc) as { kind?: string; metadata?: { namespace?: string } } | null;
  if (obj?.kind === undefined || CLUSTER_SCOPED.has(obj.kind) || obj.metadata?.namespace !== undefined) return doc;
  const named = doc.replace(/^metadata:\n {2}name: .+$/m, (head) => `${head}\n  namespace: ${APP_NAMESPACE}`);
  if (named === doc) throw new Error(`cannot name the namespace of a ${obj.kind}: metadata does not start with name`);
  return named;
}

/** Splits `helm template` output into documents keyed by template path (e.g. "rbac/role.yaml"). */
export function documentsBySource(rendered: string): Map<string, string[]> {
  const bySource = new Map<string, string[]>();
  for (const doc of rendered.split(/^---\n/m)) {
    const match = /^# Source: [^/]+\/templates\/(.+)$/m.exec(doc);
    if (!match?.[1]) continue;
    const body = withNamespace(doc.replace(/^# Source: .*\n/m, '').trimEnd());
    if (body === '') continue;
    const list = bySource.get(match[1]) ?? [];
    list.push(body);
    bySource.set(match[1], list);
  }
  return bySource;
}

export async function renderManifests(): Promise<Map<string, string>> {
  const args = ['template', 'ci-fixer', CHART_DIR, '--namespace', APP_NAMESPACE];
  for (const v of MANIFEST_VALUES) args.push('--set', v);
  const result = await runTool('helm', args);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr.trim()}`);
  const docs = documentsBySource(result.stdout);
  const files = new Map<string, string>();
  for (const [file, sources] of Object.entries(MANIFEST_FILES)) {
    const parts = sources.flatMap((source) => {
      const found = docs.get(source);
      if (!found) throw new Error(`${file}: chart template ${source} rendered nothing`);
      return found;
    });
    files.set(file, `${HEADER}\n---\n${parts.join('\n---\n')}\n`);
  }
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
