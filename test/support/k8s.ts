// Helpers for the k8s tier: a KubeConfig for the cluster global-cluster.ts resolved, a unique
// namespace per test file, bounded polling and exec with the exit code taken from the status
// channel. Every wait is bounded and fails with what it was waiting for and what it last saw.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import {
  ApiException,
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Job,
  type V1Pod,
  type V1Status,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, inject } from 'vitest';

/** kwok stage trigger (scripts/test-cluster/kwok.yaml): containers exit with this code. */
export const EXIT_CODE_ANNOTATION = 'ci-fixer.test/exit-code';
/** kwok stage trigger: an image containing this fails to pull (ErrImagePull, ImagePullBackOff). */
export const PULL_FAILS_IMAGE = 'registry.invalid/ci-fixer-test/pull-fails:1';
/** Any image works on kwok nodes; nothing is pulled. */
export const TEST_IMAGE = 'docker.io/library/busybox:1.37';

export function loadKubeConfig(user?: { name: string; token: string }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  if (!user) return kc;
  // Same API server and CA, but authenticated only by the bearer token.
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const scoped = new KubeConfig();
  scoped.loadFromOptions({
    clusters: [cluster],
    users: [{ name: user.name, token: user.token }],
    contexts: [{ name: user.name, cluster: cluster.name, user: user.name }],
    currentContext: user.name,
  });
  return scoped;
}

export interface K8s {
  kc: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  rbac: RbacAuthorizationV1Api;
  authz: AuthorizationV1Api;
}

export function k8sClients(kc: KubeConfig = loadKubeConfig()): K8s {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    authz: kc.makeApiClient(AuthorizationV1Api),
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns a value other than undefined. Errors thrown by the probe are
 * retried (the API may lag a write) and reported if the wait runs out.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 250 } = options;
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing yet';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'condition not met';
    } catch (err) {
      last = describeError(err);
    }
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The Status a refused API call carried; client-node leaves its JSON body unparsed. */
function statusOf(err: ApiException<unknown>): { message?: string; reason?: string } {
  if (typeof err.body !== 'string') return (err.body ?? {}) as { message?: string; reason?: string };
  try {
    return JSON.parse(err.body) as { message?: string; reason?: string };
  } catch {
    return { message: err.body };
  }
}

export function describeError(err: unknown): string {
  if (err instanceof ApiException) return `HTTP ${err.code}: ${statusOf(err).message ?? err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Runs `call` and returns the API error it must fail with; a success is a test failure. */
export async function apiError(
  call: () => Promise<unknown>,
): Promise<{ code: number; reason: string; message: string }> {
  try {
    await call();
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const status = statusOf(err);
    return { code: err.code, reason: status.reason ?? '', message: status.message ?? err.message };
  }
  throw new Error('expected the API server to refuse the request, but it succeeded');
}

/**
 * Creates a namespace for this test file before its tests and deletes it after them. The
 * namespace is usable once its default ServiceAccount exists: until then, admission rejects
 * pods and the job controller backs off.
 */
export function useTestNamespace(prefix: string, labels: Record<string, string> = {}): { readonly name: string } {
  const ns = { name: '' };
  beforeAll(async () => {
    const { core } = k8sClients();
    const name = uniqueName(`t-${prefix}`.slice(0, 50));
    await core.createNamespace({ body: { metadata: { name, labels: { 'ci-fixer.test/tier': 'k8s', ...labels } } } });
    await waitFor(
      `default ServiceAccount in ${name}`,
      async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: name })) ?? undefined,
    );
    ns.name = name;
  });
  afterAll(async () => {
    if (!ns.name) return;
    await k8sClients().core.deleteNamespace({ name: ns.name, propagationPolicy: 'Background' });
  });
  return ns;
}

/** A Job that passes the `restricted` Pod Security level, as ci-fixer's sandbox Jobs must. */
export function testJob(name: string, spec: { ttlSecondsAfterFinished?: number; command?: string[] } = {}): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished,
      template: {
        metadata: { labels: { 'ci-fixer.test/job': name } },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'main',
              image: TEST_IMAGE,
              command: spec.command ?? ['sleep', '3600'],
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  };
}

export async function jobPods(k: K8s, namespace: string, jobName: string): Promise<V1Pod[]> {
  const list = await k.core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${jobName}` });
  return list.items;
}

/** Waits for the Job's pod to be bound to a node and Running (kwok's pod-ready stage). */
export async function runningJobPod(k: K8s, namespace: string, jobName: string): Promise<V1Pod> {
  return waitFor(`a Running pod of Job ${namespace}/${jobName}`, async () => {
    const pods = await jobPods(k, namespace, jobName);
    return pods.find((p) => p.status?.phase === 'Running' && p.spec?.nodeName);
  });
}

/** Makes kwok end the pod's containers with `exitCode` (pod-complete stage in kwok.yaml). */
export async function finishPod(k: K8s, namespace: string, pod: string, exitCode: number): Promise<void> {
  await k.core.patchNamespacedPod(
    { name: pod, namespace, body: { metadata: { annotations: { [EXIT_CODE_ANNOTATION]: String(exitCode) } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** From the status channel: 0 on Success, the ExitCode cause on NonZeroExitCode. */
  exitCode: number | undefined;
  status: V1Status | undefined;
  /** The websocket subprotocol the API server agreed to. */
  protocol: string;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export function exitCodeOf(status: V1Status | undefined): number | undefined {
  if (!status) return undefined;
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  return cause?.message === undefined ? undefined : Number(cause.message);
}

export async function execInPod(
  kc: KubeConfig,
  target: { namespace: string; pod: string; container: string },
  command: string[],
  timeoutMs = 30_000,
): Promise<ExecResult> {
  const out = collector();
  const err = collector();
  let status: V1Status | undefined;
  const ws = await new Exec(kc).exec(
    target.namespace,
    target.pod,
    target.container,
    command,
    out.stream,
    err.stream,
    null,
    false,
    (s) => {
      status = s;
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(
        new Error(
          `exec ${JSON.stringify(command)} in ${target.namespace}/${target.pod} did not finish within ${timeoutMs / 1000}s`,
        ),
      );
    }, timeoutMs);
    ws.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  return { stdout: out.text(), stderr: err.text(), exitCode: exitCodeOf(status), status, protocol: ws.protocol };
}
