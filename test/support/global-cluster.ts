// Resolves a real Kubernetes API server for the k8s tier, in this order:
//   1. CI_FIXER_TEST_KUBECONFIG: a kubeconfig for a cluster started elsewhere (e.g. by a CI step
//      running scripts/test-cluster/up.sh); it must answer /readyz.
//   2. The local test cluster (scripts/test-cluster/up.sh) from the binary cache: reused when
//      healthy, started otherwise. A cluster this run started is stopped at its end (down.sh),
//      unless CI_FIXER_TEST_KEEP_SERVICES=1; one that was running before is left running.
// A Docker-based fallback (@testcontainers/k3s) is not implemented: this machine class has no
// Docker engine to verify it on. No cluster fails the run with every reason tried; the tier is
// never skipped.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import type { TestProject } from 'vitest/node';
import { keepServices } from './host-services.js';
import { removeStaleKedaApiService } from './keda-stale.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
  }
}

const run = promisify(execFile);
const scripts = resolve(import.meta.dirname, '../../scripts/test-cluster');
const UP_TIMEOUT_MS = 240_000;

async function answers(kubeconfigPath: string): Promise<string | undefined> {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(kubeconfigPath);
  } catch (err) {
    return `cannot load ${kubeconfigPath}: ${err instanceof Error ? err.message : String(err)}`;
  }
  const timeout = AbortSignal.timeout(10_000);
  try {
    await Promise.race([
      kc.makeApiClient(VersionApi).getCode(),
      new Promise((_, reject) => timeout.addEventListener('abort', () => reject(new Error('no answer within 10s')))),
    ]);
    return undefined;
  } catch (err) {
    return `API server in ${kubeconfigPath} does not answer: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function outputOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const tail = (e.stderr ?? '').trim().split('\n').slice(-15).join('\n');
  return `${e.message ?? String(err)}${tail ? `\n${tail}` : ''}`;
}

async function localCluster(): Promise<{ kubeconfig: string; startedHere: boolean } | string> {
  try {
    await run('bash', [`${scripts}/build.sh`, '--check'], { timeout: 10_000 });
  } catch {
    const { stdout } = await run('bash', [`${scripts}/build.sh`, '--print-bin-dir'], { timeout: 10_000 });
    return `test-cluster binaries missing in ${stdout.trim()} (run: npm run cluster:build)`;
  }
  try {
    const { stdout, stderr } = await run('bash', [`${scripts}/up.sh`], { timeout: UP_TIMEOUT_MS });
    const kubeconfig = stdout.trim().split('\n').pop() ?? '';
    if (!existsSync(kubeconfig)) return `up.sh printed no kubeconfig path (got "${kubeconfig}")`;
    return { kubeconfig, startedHere: !stderr.includes('reusing healthy cluster') };
  } catch (err) {
    return `scripts/test-cluster/up.sh failed: ${outputOf(err)}`;
  }
}

/** What a test run that died may have left cluster-wide (see keda-stale.ts). */
async function cleanStale(kubeconfigPath: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const removed = await removeStaleKedaApiService(kc);
  if (removed) console.warn(`k8s global setup: ${removed}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tried: string[] = [];

  const explicit = process.env.CI_FIXER_TEST_KUBECONFIG;
  if (explicit) {
    const problem = await answers(explicit);
    if (problem) throw new Error(`CI_FIXER_TEST_KUBECONFIG: ${problem}`);
    await cleanStale(explicit);
    project.provide('kubeconfig', explicit);
    return async () => undefined;
  }
  tried.push('CI_FIXER_TEST_KUBECONFIG is not set');

  const local = await localCluster();
  if (typeof local !== 'string') {
    const problem = await answers(local.kubeconfig);
    if (problem) throw new Error(`local test cluster: ${problem}`);
    await cleanStale(local.kubeconfig);
    project.provide('kubeconfig', local.kubeconfig);
    const teardown = local.startedHere && !keepServices();
    return async () => {
      if (teardown) await run('bash', [`${scripts}/down.sh`], { timeout: 60_000 });
    };
  }
  tried.push(local);
  tried.push('no Docker fallback (@testcontainers/k3s) is implemented');
  throw new Error(`no Kubernetes cluster for the k8s tier: ${tried.join('; ')}`);
}
