// Helpers for the Kubernetes sandbox driver's tests on the real test cluster: a namespace with the
// sandbox ServiceAccount, a provider configured like the worker configures it (config.ts), and
// records of what it logged and which API requests it made.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import type { KubeRequestInfo } from '../../src/sandbox/kubernetes/kube-client.js';
import { SANDBOX_SELECTOR, SANDBOX_SERVICE_ACCOUNT } from '../../src/sandbox/kubernetes/labels.js';
import {
  createKubernetesSandboxProvider,
  type KubernetesSandboxProvider,
  type KubernetesSandboxProviderOptions,
} from '../../src/sandbox/kubernetes/provider.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { k8sClients, loadKubeConfig, useTestNamespace, waitFor } from './k8s.js';
import { captureLogger } from './local-sandbox.js';

export type SandboxK8sConfig = Config['sandbox']['kubernetes'];

/** A test namespace in which sandbox Jobs can run: it has the ci-fixer-sandbox ServiceAccount. */
export function useSandboxNamespace(prefix: string, labels: Record<string, string> = {}): { readonly name: string } {
  const ns = useTestNamespace(prefix, labels);
  beforeAll(async () => {
    await k8sClients().core.createNamespacedServiceAccount({
      namespace: ns.name,
      body: { metadata: { name: SANDBOX_SERVICE_ACCOUNT }, automountServiceAccountToken: false },
    });
  });
  return ns;
}

/** The kubernetes config slice exactly as loadConfig builds it from the environment. */
export function sandboxConfig(namespace: string, overrides: Partial<SandboxK8sConfig> = {}): SandboxK8sConfig {
  const config = loadConfig({
    SANDBOX_DRIVER: 'kubernetes',
    KUBECONFIG: inject('kubeconfig'),
    SANDBOX_NAMESPACE: namespace,
  });
  return { ...config.sandbox.kubernetes, ...overrides };
}

export interface TestProvider {
  provider: KubernetesSandboxProvider;
  logs: Array<Record<string, unknown>>;
  requests: KubeRequestInfo[];
}

/** Short grace and heartbeat values, so failure paths finish within a test's time. */
export const FAST_TUNING = {
  killGraceMs: 1000,
  heartbeatMs: 2000,
  staleAfterMs: 10_000,
  noPodCheckMs: 2000,
  resyncIntervalMs: 5000,
};

export async function startProvider(
  namespace: string,
  overrides: Partial<SandboxK8sConfig> = {},
  extra: Partial<Omit<KubernetesSandboxProviderOptions, 'config' | 'logger'>> = {},
): Promise<TestProvider> {
  const { logger, records } = captureLogger();
  const requests: KubeRequestInfo[] = [];
  const provider = createKubernetesSandboxProvider({
    config: sandboxConfig(namespace, overrides),
    logger,
    kubeConfig: loadKubeConfig(),
    onRequest: (info) => requests.push(info),
    tuning: FAST_TUNING,
    ...extra,
  });
  await provider.start();
  return { provider, logs: records, requests };
}

/** Starts a provider for every test of the file and stops it after them. */
export function useProvider(
  ns: { readonly name: string },
  overrides: Partial<SandboxK8sConfig> = {},
): { current: TestProvider } {
  const holder = { current: undefined as unknown as TestProvider };
  beforeAll(async () => {
    holder.current = await startProvider(ns.name, overrides);
  });
  afterAll(async () => {
    await holder.current?.provider.stop();
  });
  return holder;
}

/** One sandbox shared by every test of the file (created after the provider, disposed after them). */
export function useSandbox(p: { current: TestProvider }, timeoutSeconds = 300): { current: Sandbox } {
  const holder = { current: undefined as unknown as Sandbox };
  beforeAll(async () => {
    holder.current = await p.current.provider.create({ taskId: randomUUID(), timeoutSeconds });
  });
  afterAll(async () => {
    await holder.current?.dispose();
  });
  return holder;
}

/** Sandbox Jobs currently in the namespace (name and uid). */
export async function sandboxJobs(
  namespace: string,
): Promise<Array<{ name: string; uid: string; taskId: string | undefined }>> {
  const list = await k8sClients().batch.listNamespacedJob({ namespace, labelSelector: SANDBOX_SELECTOR });
  return list.items.map((j) => ({
    name: j.metadata?.name ?? '',
    uid: j.metadata?.uid ?? '',
    taskId: j.metadata?.annotations?.['ci-fixer.dev/task-id'],
  }));
}

/** Waits until no Job with this name exists (a bound, not an assertion). */
export async function jobGone(namespace: string, name: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `Job ${namespace}/${name} to be gone`,
    async () => ((await sandboxJobs(namespace)).some((j) => j.name === name) ? undefined : true),
    { timeoutMs },
  );
}

/** A command that prints "alive" while process `pid` runs (and is not a zombie) in the sandbox. */
export function aliveProbe(pid: number): string {
  return `if [ -d /proc/${pid} ] && ! grep -q '^State:[[:space:]]*Z' /proc/${pid}/status 2>/dev/null; then echo alive; else echo gone; fi`;
}
