// Helpers for the deploy tests: helm and kubectl against the test cluster (binaries from the
// test-cluster cache), the verify script as a child process, and bounded waits on Deployments.
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { AppsV1Api, type V1Deployment } from '@kubernetes/client-node';
import { REPO_ROOT, runTool, type ToolResult } from '../../scripts/lib/cluster-tools.js';
import { waitFor, type K8s } from './k8s.js';

const run = promisify(execFile);
export const CHART = join(REPO_ROOT, 'chart');
export const RELEASE = 'ci-fixer';

// Helm keeps caches and repository config under $HOME; tests use a scratch home of their own
// (shared by all test files: installing a local chart only reads it).
const helmHome = join(tmpdir(), 'ci-fixer-test-helm-home');
const helmEnv = {
  HELM_CACHE_HOME: join(helmHome, 'cache'),
  HELM_CONFIG_HOME: join(helmHome, 'config'),
  HELM_DATA_HOME: join(helmHome, 'data'),
};

/** helm against the test cluster; fails the test with helm's stderr when `expectOk`. */
export async function helm(args: string[], expectOk = true): Promise<ToolResult> {
  const result = await runTool('helm', [...args, '--kubeconfig', inject('kubeconfig')], {
    env: helmEnv,
    timeoutMs: 170_000,
  });
  if (expectOk && result.code !== 0)
    throw new Error(`helm ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result;
}

/** helm without a cluster (lint, template). */
export function helmOffline(args: string[]): Promise<ToolResult> {
  return runTool('helm', args, { env: helmEnv, timeoutMs: 60_000 });
}

export function kubectl(args: string[]): Promise<ToolResult> {
  return runTool('kubectl', ['--kubeconfig', inject('kubeconfig'), '--request-timeout=20s', ...args], {
    timeoutMs: 60_000,
  });
}

export interface ReleaseStatus {
  version: number;
  info: { status: string; description: string };
  config: Record<string, unknown>;
}

export async function releaseStatus(namespace: string): Promise<ReleaseStatus> {
  const { stdout } = await helm(['status', RELEASE, '-n', namespace, '-o', 'json']);
  return JSON.parse(stdout) as ReleaseStatus;
}

/** Waits until the Deployment has `replicas` replicas, all updated and available. */
export async function deploymentAvailable(
  k: K8s,
  namespace: string,
  name: string,
  replicas?: number,
): Promise<V1Deployment> {
  return waitFor(
    `Deployment ${namespace}/${name} available${replicas === undefined ? '' : ` with ${replicas} replicas`}`,
    async () => {
      const d = await k.kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
      const want = d.spec?.replicas ?? 1;
      const s = d.status ?? {};
      const available = d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
      const settled =
        (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
        s.replicas === want &&
        s.updatedReplicas === want &&
        s.availableReplicas === want;
      return available && settled && (replicas === undefined || want === replicas) ? d : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

export interface VerifyRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npx tsx scripts/verify-k8s-deployment.ts`, as an operator would run it. */
export async function runVerifyScript(args: string[]): Promise<VerifyRun> {
  const tsx = join(REPO_ROOT, 'node_modules/.bin/tsx');
  try {
    const { stdout, stderr } = await run(
      tsx,
      [join(REPO_ROOT, 'scripts/verify-k8s-deployment.ts'), '--kubeconfig', inject('kubeconfig'), ...args],
      {
        timeout: 90_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The ✅/❌ rows of a verify run, by check name. */
export function verifyRows(stdout: string): Map<string, { ok: boolean; detail: string }> {
  const rows = new Map<string, { ok: boolean; detail: string }>();
  for (const line of stdout.split('\n')) {
    const m = /^(✅|❌)\s{2}(.+?)(?:\s{2,}(.*))?$/.exec(line);
    if (m?.[2]) rows.set(m[2].trim(), { ok: m[1] === '✅', detail: m[3] ?? '' });
  }
  return rows;
}

/** A short-lived token of a ServiceAccount, for acting as it against the real authorizer. */
export async function serviceAccountToken(k: K8s, namespace: string, name: string): Promise<string> {
  const req = await k.core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const token = req.status?.token;
  if (!token) throw new Error(`no token issued for ServiceAccount ${namespace}/${name}`);
  return token;
}
