// The cluster side of bench:fleet: the namespace, a simulated node with room for every sandbox
// (added for the run, removed after), the proxy's serving certificate, the workers' kubeconfig
// (pointing at the proxy), and a watch of the sandbox pods that counts the ready ones.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BatchV1Api, CoreV1Api, KubeConfig, ListWatch, Watch, type V1Pod } from '@kubernetes/client-node';
import { SANDBOX_SELECTOR, SANDBOX_SERVICE_ACCOUNT } from '../../../src/sandbox/kubernetes/labels.js';
import type { UpstreamTls } from './api-proxy.js';

export interface BenchCluster {
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  namespace: string;
  node: string;
  cleanup(): Promise<void>;
}

export async function prepareCluster(kubeconfig: string, namespace: string, pods: number): Promise<BenchCluster> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const node = `${namespace}-node`;
  const cleanup = async () => {
    await core.deleteNamespace({ name: namespace, propagationPolicy: 'Background' }).catch(() => undefined);
    await core.deleteNode({ name: node }).catch(() => undefined);
  };
  try {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedServiceAccount({
      namespace,
      body: { metadata: { name: SANDBOX_SERVICE_ACCOUNT }, automountServiceAccountToken: false },
    });
    // The test cluster's two nodes hold 110 pods each; this one alone holds every sandbox of the run.
    const capacity = {
      cpu: String(Math.ceil(pods / 5) + 8),
      memory: `${pods + 32}Gi`,
      pods: String(pods + 20),
      'ephemeral-storage': '10Ti',
    };
    await core.createNode({
      body: {
        metadata: {
          name: node,
          annotations: { 'kwok.x-k8s.io/node': 'fake' },
          labels: { type: 'kwok', 'kubernetes.io/hostname': node },
        },
        status: { allocatable: capacity, capacity, addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] },
      },
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { kc, core, batch, namespace, node, cleanup };
}

const pem = (data: string | undefined, file: string | undefined): Buffer => {
  if (data) return Buffer.from(data, 'base64');
  if (file) return readFileSync(file);
  throw new Error('kubeconfig lacks a certificate or key the proxy needs');
};

/** The API server's address and the client certificate the proxy presents to it. */
export function upstreamOf(kc: KubeConfig): UpstreamTls {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (cluster === null || user === null) throw new Error('kubeconfig has no current cluster or user');
  return {
    url: new URL(cluster.server),
    ca: pem(cluster.caData, cluster.caFile),
    cert: pem(user.certData, user.certFile),
    key: pem(user.keyData, user.keyFile),
  };
}

/** A throwaway self-signed certificate for 127.0.0.1 (openssl), valid for a day. */
export function servingCertificate(dir: string): { cert: Buffer; key: Buffer } {
  const cert = path.join(dir, 'proxy.crt');
  const key = path.join(dir, 'proxy.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=ci-fixer-bench-proxy',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore', timeout: 30_000 },
  );
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

/** The workers' kubeconfig: the proxy as the server, its certificate as the CA, no credentials. */
export function writeWorkerKubeconfig(file: string, proxyUrl: string, ca: Buffer): string {
  const yaml = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: bench-proxy`,
    '  cluster:',
    `    server: ${proxyUrl}`,
    `    certificate-authority-data: ${ca.toString('base64')}`,
    'users:',
    '- name: bench',
    '  user: {}',
    'contexts:',
    '- name: bench',
    '  context: { cluster: bench-proxy, user: bench }',
    'current-context: bench',
    '',
  ].join('\n');
  writeFileSync(file, yaml, { mode: 0o600 });
  return file;
}

/** When the cluster did its part for one sandbox pod (API timestamps: whole seconds). */
export interface PodTimes {
  job: string;
  created: number;
  scheduled: number | undefined;
  ready: number | undefined;
}

export interface ReadyPods {
  /** Ready sandbox pods now (usable sandboxes). */
  current(): number;
  /** Most sandbox pods in flight at once (created, not finished, not being deleted): what the cap bounds. */
  peak(): number;
  /** Most ready sandbox pods at once. */
  peakReady(): number;
  resetPeak(): void;
  /** Every sandbox pod seen since the last resetPeak(), by name. */
  times(): Map<string, PodTimes>;
  stop(): Promise<void>;
}

const transition = (pod: V1Pod, type: string): number | undefined => {
  const at = pod.status?.conditions?.find((c) => c.type === type && c.status === 'True')?.lastTransitionTime;
  return at === undefined ? undefined : new Date(at).getTime();
};

const isReady = (pod: V1Pod): boolean =>
  !pod.metadata?.deletionTimestamp &&
  pod.status?.phase === 'Running' &&
  (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Ready sandbox pods in the namespace, from one watch (straight to the API server, not the proxy). */
export async function watchReadyPods(kc: KubeConfig, core: CoreV1Api, namespace: string): Promise<ReadyPods> {
  const ready = new Set<string>();
  const inFlight = new Set<string>();
  let times = new Map<string, PodTimes>();
  let peak = 0;
  let peakReady = 0;
  const apply = (pod: V1Pod) => {
    const name = pod.metadata?.name ?? '';
    if (isReady(pod)) ready.add(name);
    else ready.delete(name);
    const phase = pod.status?.phase;
    if (!pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') inFlight.add(name);
    else inFlight.delete(name);
    peak = Math.max(peak, inFlight.size);
    peakReady = Math.max(peakReady, ready.size);
    const job = pod.metadata?.labels?.['job-name'];
    const created = pod.metadata?.creationTimestamp;
    if (job !== undefined && created !== undefined) {
      const seen = times.get(name);
      times.set(name, {
        job,
        created: new Date(created).getTime(),
        scheduled: seen?.scheduled ?? transition(pod, 'PodScheduled'),
        ready: seen?.ready ?? transition(pod, 'Ready'),
      });
    }
  };
  const informer = new ListWatch<V1Pod>(
    `/api/v1/namespaces/${namespace}/pods`,
    new Watch(kc),
    () => core.listNamespacedPod({ namespace, labelSelector: SANDBOX_SELECTOR }),
    false,
    SANDBOX_SELECTOR,
  );
  informer.on('add', apply);
  informer.on('update', apply);
  informer.on('delete', (pod) => {
    ready.delete(pod.metadata?.name ?? '');
    inFlight.delete(pod.metadata?.name ?? '');
  });
  informer.on('error', () => setTimeout(() => void informer.start().catch(() => undefined), 1000));
  await informer.start();
  return {
    current: () => ready.size,
    peak: () => peak,
    peakReady: () => peakReady,
    resetPeak: () => {
      peak = inFlight.size;
      peakReady = ready.size;
      times = new Map();
    },
    times: () => times,
    stop: () => informer.stop(),
  };
}
