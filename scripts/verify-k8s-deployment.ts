// Checks a ci-fixer install for least privilege, as the seed guide's Step 2 asks:
//
//   npx tsx scripts/verify-k8s-deployment.ts [--namespace NS] [--sandbox-namespace NS] [--kubeconfig PATH]
//
// It checks that both ServiceAccounts, the Role and the RoleBinding exist and are shaped as the
// chart makes them, then asks the API server (SubjectAccessReview) what ci-fixer-app and
// ci-fixer-sandbox may do. Prints a ✅/❌ table; exits 1 on any ❌, 2 on bad arguments.
// First: fails with one line on a Node too old for the imports below.
import './lib/require-node.js';
import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  type V1PolicyRule,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SANDBOX_SERVICE_ACCOUNT } from '../src/sandbox/kubernetes/labels.js';
import { withTimeout } from '../src/timeout.js';

export const APP_SA = 'ci-fixer-app';
export const SANDBOX_SA = SANDBOX_SERVICE_ACCOUNT;
export const ROLE = 'ci-fixer-sandbox-manager';
export const ROLE_BINDING = 'ci-fixer-sandbox-binding';

/** The Role's rules, exactly: chart/templates/rbac/role.yaml must grant these and nothing else. */
export const EXPECTED_RULES: ReadonlyArray<{ group: string; resource: string; verbs: string[] }> = [
  { group: 'batch', resource: 'jobs', verbs: ['create', 'get', 'list', 'watch', 'delete'] },
  { group: '', resource: 'pods', verbs: ['get', 'list', 'watch'] },
  { group: '', resource: 'pods/exec', verbs: ['create', 'get'] },
  { group: '', resource: 'pods/log', verbs: ['get'] },
  { group: '', resource: 'events', verbs: ['get', 'list', 'watch'] },
];

export interface Check {
  ok: boolean;
  name: string;
  detail: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

/** Grants of `rules` beyond EXPECTED_RULES, and expected grants they lack, as readable strings. */
export function ruleProblems(rules: V1PolicyRule[]): { extra: string[]; missing: string[] } {
  const key = (group: string, resource: string, verb: string) =>
    `${verb} ${group === '' ? '' : `${group}/`}${resource}`;
  const expected = new Set(EXPECTED_RULES.flatMap((r) => r.verbs.map((v) => key(r.group, r.resource, v))));
  const granted = new Set<string>();
  const extra: string[] = [];
  for (const rule of rules) {
    if (rule.nonResourceURLs?.length) extra.push(`non-resource URLs ${rule.nonResourceURLs.join(',')}`);
    if (rule.resourceNames?.length) extra.push(`resourceNames ${rule.resourceNames.join(',')}`);
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs) {
          const k = key(group, resource, verb);
          granted.add(k);
          if (!expected.has(k)) extra.push(k);
        }
      }
    }
  }
  const missing = [...expected].filter((k) => !granted.has(k));
  return { extra: [...new Set(extra)], missing };
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

function describe(err: unknown): string {
  if (err instanceof ApiException) return `HTTP ${err.code}`;
  return err instanceof Error ? err.message : String(err);
}

export interface VerifyOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  sandboxNamespace: string;
}

interface AccessCase {
  want: boolean;
  label: string;
  attrs: V1ResourceAttributes;
}

/** What ci-fixer-app must and must not be allowed, and what ci-fixer-sandbox must not. */
function accessCases(ns: string, sbx: string): { appCases: AccessCase[]; sandboxCases: AccessCase[] } {
  const inSbx = (verb: string, resource: string, group = '', subresource?: string): V1ResourceAttributes => ({
    namespace: sbx,
    verb,
    resource,
    group,
    ...(subresource ? { subresource } : {}),
  });
  const appCases: AccessCase[] = [
    { want: true, label: `create jobs in ${sbx}`, attrs: inSbx('create', 'jobs', 'batch') },
    { want: true, label: `delete jobs in ${sbx}`, attrs: inSbx('delete', 'jobs', 'batch') },
    { want: true, label: `watch pods in ${sbx}`, attrs: inSbx('watch', 'pods') },
    { want: true, label: `create pods/exec in ${sbx}`, attrs: inSbx('create', 'pods', '', 'exec') },
    { want: true, label: `get pods/log in ${sbx}`, attrs: inSbx('get', 'pods', '', 'log') },
    { want: false, label: 'delete nodes', attrs: { verb: 'delete', resource: 'nodes', group: '' } },
    { want: false, label: `list secrets in ${sbx}`, attrs: inSbx('list', 'secrets') },
    {
      want: false,
      label: `get secrets in ${ns}`,
      attrs: { namespace: ns, verb: 'get', resource: 'secrets', group: '' },
    },
    { want: false, label: `list configmaps in ${sbx}`, attrs: inSbx('list', 'configmaps') },
    { want: false, label: `create pods in ${sbx}`, attrs: inSbx('create', 'pods') },
    { want: false, label: 'list pods cluster-wide', attrs: { verb: 'list', resource: 'pods', group: '' } },
    { want: false, label: 'list namespaces', attrs: { verb: 'list', resource: 'namespaces', group: '' } },
    {
      want: false,
      label: 'create clusterrolebindings',
      attrs: { verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io' },
    },
    { want: false, label: 'do anything cluster-wide (* * *)', attrs: { verb: '*', resource: '*', group: '*' } },
  ];
  if (ns !== sbx)
    appCases.push({
      want: false,
      label: `create jobs in its own namespace ${ns}`,
      attrs: { namespace: ns, verb: 'create', resource: 'jobs', group: 'batch' },
    });
  const sandboxCases: AccessCase[] = [
    { want: false, label: `get pods in ${sbx}`, attrs: inSbx('get', 'pods') },
    { want: false, label: `create jobs in ${sbx}`, attrs: inSbx('create', 'jobs', 'batch') },
    { want: false, label: `create pods/exec in ${sbx}`, attrs: inSbx('create', 'pods', '', 'exec') },
    { want: false, label: `get secrets in ${sbx}`, attrs: inSbx('get', 'secrets') },
    { want: false, label: `do anything in ${sbx} (* * *)`, attrs: inSbx('*', '*', '*') },
    { want: false, label: 'do anything cluster-wide (* * *)', attrs: { verb: '*', resource: '*', group: '*' } },
  ];
  return { appCases, sandboxCases };
}

export async function verifyDeployment(options: VerifyOptions): Promise<Check[]> {
  const { kubeConfig, namespace: ns, sandboxNamespace: sbx } = options;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  const call = <T>(what: string, p: Promise<T>) => withTimeout(p, REQUEST_TIMEOUT_MS, what);
  const checks: Check[] = [];
  const add = (ok: boolean, name: string, detail = '') => checks.push({ ok, name, detail });

  async function exists<T>(name: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      const obj = await call(name, read());
      add(true, `${name} exists`);
      return obj;
    } catch (err) {
      add(false, `${name} exists`, isNotFound(err) ? 'not found' : describe(err));
      return undefined;
    }
  }

  await exists(`ServiceAccount ${ns}/${APP_SA}`, () =>
    core.readNamespacedServiceAccount({ name: APP_SA, namespace: ns }),
  );
  const sandboxSa = await exists(`ServiceAccount ${sbx}/${SANDBOX_SA}`, () =>
    core.readNamespacedServiceAccount({ name: SANDBOX_SA, namespace: sbx }),
  );
  if (sandboxSa) {
    const noToken = sandboxSa.automountServiceAccountToken === false;
    add(
      noToken,
      `${SANDBOX_SA} does not mount a token`,
      noToken ? '' : `automountServiceAccountToken: ${String(sandboxSa.automountServiceAccountToken)}`,
    );
  }
  const role = await exists(`Role ${sbx}/${ROLE}`, () => rbac.readNamespacedRole({ name: ROLE, namespace: sbx }));
  if (role) {
    const { extra, missing } = ruleProblems(role.rules ?? []);
    add(
      extra.length === 0,
      `${ROLE} grants nothing beyond least privilege`,
      extra.length ? `extra: ${extra.join('; ')}` : '',
    );
    add(
      missing.length === 0,
      `${ROLE} grants what the worker needs`,
      missing.length ? `missing: ${missing.join('; ')}` : '',
    );
  }
  const binding = await exists(`RoleBinding ${sbx}/${ROLE_BINDING}`, () =>
    rbac.readNamespacedRoleBinding({ name: ROLE_BINDING, namespace: sbx }),
  );
  if (binding) {
    const subjects = (binding.subjects ?? []).map((s) => `${s.kind}:${s.namespace || sbx}/${s.name}`);
    const onlyApp = subjects.length === 1 && subjects[0] === `ServiceAccount:${ns}/${APP_SA}`;
    add(onlyApp, `${ROLE_BINDING} binds only ${APP_SA}`, onlyApp ? '' : `subjects: ${subjects.join(', ') || 'none'}`);
    const ref = binding.roleRef;
    const refOk = ref.kind === 'Role' && ref.name === ROLE;
    add(refOk, `${ROLE_BINDING} refers to Role ${ROLE}`, refOk ? '' : `roleRef: ${ref.kind}/${ref.name}`);
  }
  checks.push(await sandboxUnbound(rbac, ns, sbx, call));

  checks.push(...(await accessChecks(authz, ns, sbx, call)));
  return checks;
}

/** SubjectAccessReviews for both ServiceAccounts, with the groups a real token of theirs carries. */
async function accessChecks(
  authz: AuthorizationV1Api,
  ns: string,
  sbx: string,
  call: <T>(what: string, p: Promise<T>) => Promise<T>,
): Promise<Check[]> {
  const checks: Check[] = [];
  const { appCases, sandboxCases } = accessCases(ns, sbx);
  for (const [name, cases] of [
    [APP_SA, appCases],
    [SANDBOX_SA, sandboxCases],
  ] as const) {
    const saNs = name === APP_SA ? ns : sbx;
    const subject = {
      user: `system:serviceaccount:${saNs}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${saNs}`, 'system:authenticated'],
    };
    for (const c of cases) {
      const check = `${name} ${c.want ? 'CAN' : 'CANNOT'} ${c.label}`;
      try {
        const review = await call(
          check,
          authz.createSubjectAccessReview({ body: { spec: { ...subject, resourceAttributes: c.attrs } } }),
        );
        const allowed = review.status?.allowed === true;
        const reason = review.status?.reason ? `: ${review.status.reason}` : '';
        checks.push({
          ok: allowed === c.want,
          name: check,
          detail: allowed === c.want ? '' : `${allowed ? 'allowed' : 'denied'}${reason}`,
        });
      } catch (err) {
        checks.push({ ok: false, name: check, detail: `review failed: ${describe(err)}` });
      }
    }
  }
  return checks;
}

/** No RoleBinding or ClusterRoleBinding may name ci-fixer-sandbox. */
async function sandboxUnbound(
  rbac: RbacAuthorizationV1Api,
  ns: string,
  sbx: string,
  call: <T>(what: string, p: Promise<T>) => Promise<T>,
): Promise<Check> {
  const name = `${SANDBOX_SA} has no RoleBinding or ClusterRoleBinding`;
  try {
    const names: string[] = [];
    const isSandbox = (s: { kind: string; name: string; namespace?: string }, bindingNs: string) =>
      s.kind === 'ServiceAccount' && s.name === SANDBOX_SA && (s.namespace || bindingNs) === sbx;
    for (const namespace of new Set([ns, sbx])) {
      const list = await call('list rolebindings', rbac.listNamespacedRoleBinding({ namespace }));
      for (const b of list.items)
        if ((b.subjects ?? []).some((s) => isSandbox(s, namespace)))
          names.push(`RoleBinding ${namespace}/${b.metadata?.name}`);
    }
    const cluster = await call('list clusterrolebindings', rbac.listClusterRoleBinding());
    for (const b of cluster.items)
      if ((b.subjects ?? []).some((s) => isSandbox(s, ''))) names.push(`ClusterRoleBinding ${b.metadata?.name}`);
    return { ok: names.length === 0, name, detail: names.join(', ') };
  } catch (err) {
    return { ok: false, name, detail: `could not list bindings: ${describe(err)}` };
  }
}

export function formatTable(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map((c) => `${c.ok ? '✅' : '❌'}  ${c.name.padEnd(width)}  ${c.detail}`.trimEnd());
  const failed = checks.filter((c) => !c.ok).length;
  lines.push('', `${checks.length - failed} checks ok, ${failed} not ok`);
  return lines.join('\n');
}

async function sandboxNamespaceFromConfig(kubeConfig: KubeConfig, namespace: string): Promise<string> {
  // The chart writes SANDBOX_NAMESPACE only for a dedicated sandbox namespace.
  try {
    const cm = await withTimeout(
      kubeConfig.makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'ci-fixer-config', namespace }),
      REQUEST_TIMEOUT_MS,
      'read ConfigMap',
    );
    return cm.data?.SANDBOX_NAMESPACE || namespace;
  } catch (err) {
    if (isNotFound(err)) return namespace;
    throw err;
  }
}

export async function main(argv: string[]): Promise<number> {
  let values: { namespace?: string; 'sandbox-namespace'?: string; kubeconfig?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        namespace: { type: 'string', short: 'n' },
        'sandbox-namespace': { type: 'string' },
        kubeconfig: { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(
      `${err instanceof Error ? err.message : String(err)}\nusage: verify-k8s-deployment [--namespace NS] [--sandbox-namespace NS] [--kubeconfig PATH]\n`,
    );
    return 2;
  }
  const kubeConfig = new KubeConfig();
  if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
  else kubeConfig.loadFromDefault();
  const namespace =
    values.namespace ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default';
  const sandboxNamespace = values['sandbox-namespace'] ?? (await sandboxNamespaceFromConfig(kubeConfig, namespace));
  process.stdout.write(`ci-fixer RBAC check: namespace ${namespace}, sandbox namespace ${sandboxNamespace}\n\n`);
  const checks = await verifyDeployment({ kubeConfig, namespace, sandboxNamespace });
  process.stdout.write(`${formatTable(checks)}\n`);
  return checks.every((c) => c.ok) ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`verify-k8s-deployment: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
