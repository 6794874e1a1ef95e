// KEDA on the test cluster, as host processes: its operator and its metrics API server (built by
// scripts/test-cluster/build-keda.sh), with KEDA's CRDs and the APIService
// v1beta1.external.metrics.k8s.io that the real kube-apiserver aggregates. The metrics server
// listens on a veth address of the test's own (veth-host.ts), behind a selector-less Service
// whose Endpoints name that address; the API server (--enable-aggregator-routing, no kube-proxy
// here) dials it, authenticated as its front proxy. KEDA's own cert rotation issues the serving
// and gRPC certificates, as in a real install; the APIService trusts that CA and is registered
// only while the server answers (an unanswered APIService makes discovery warn cluster-wide).
//
// The APIService is cluster-wide, so one run at a time holds it: a Lease in kube-system.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiException, CoordinationV1Api } from '@kubernetes/client-node';
import { REPO_ROOT, runTool } from '../../scripts/lib/cluster-tools.js';
import { freePort } from '../../src/redis/embedded.js';
import { describeError, uniqueName, waitFor, type K8s } from './k8s.js';
import { APISERVICE, LEASE, LEASE_SECONDS, TEST_APISERVICE_LABEL } from './keda-stale.js';
import { createVethHost, type VethHost } from './veth-host.js';
import { scrubbedEnv } from '../../scripts/lib/child-env.js';

const run = promisify(execFile);

export interface Keda {
  /** Namespace of KEDA's own objects (certificate Secret, metrics-server Service). */
  namespace: string;
  /** Tail of both processes' logs, for failure messages. */
  logTail(): Promise<string>;
  stop(): Promise<void>;
}

export interface KedaOptions {
  k: K8s;
  kubeconfigPath: string;
  /** KEDA watches only this namespace's ScaledObjects. */
  watchNamespace: string;
}

async function kedaBinDir(): Promise<string> {
  const script = join(REPO_ROOT, 'scripts/test-cluster/build-keda.sh');
  const { stdout } = await run('bash', [script, '--print-bin-dir'], { timeout: 10_000 });
  const dir = stdout.trim();
  for (const f of ['keda', 'keda-adapter', 'crds.yaml']) {
    if (!existsSync(join(dir, f)))
      throw new Error(`KEDA binaries missing in ${dir} (${f}); run: npm run cluster:build`);
  }
  return dir;
}

/**
 * Takes the cluster-wide Lease, waiting for another run's, or taking over one older than
 * LEASE_SECONDS (its creation time counts: a run never renews it).
 */
async function acquireLease(k: K8s, holder: string): Promise<() => Promise<void>> {
  const leases = k.kc.makeApiClient(CoordinationV1Api);
  let refused: unknown;
  await waitFor(
    `Lease ${LEASE.namespace}/${LEASE.name} (another run holds KEDA's APIService)`,
    async () => {
      try {
        await leases.createNamespacedLease({
          namespace: LEASE.namespace,
          body: { metadata: LEASE, spec: { holderIdentity: holder, leaseDurationSeconds: LEASE_SECONDS } },
        });
        return true;
      } catch (err) {
        if (!(err instanceof ApiException) || err.code !== 409) {
          refused = err;
          return true;
        }
      }
      const held = await leases.readNamespacedLease(LEASE);
      const created = held.metadata?.creationTimestamp ? new Date(held.metadata.creationTimestamp).getTime() : 0;
      if (Date.now() - created > LEASE_SECONDS * 1000) await leases.deleteNamespacedLease(LEASE).catch(() => undefined);
      return undefined;
    },
    { timeoutMs: 600_000, intervalMs: 2000 },
  );
  if (refused !== undefined) throw new Error(`Lease ${LEASE.name}: ${describeError(refused)}`);
  return async () => {
    const held = await leases.readNamespacedLease(LEASE).catch(() => undefined);
    if (held?.spec?.holderIdentity === holder) await leases.deleteNamespacedLease(LEASE).catch(() => undefined);
  };
}

async function kubectl(kubeconfigPath: string, args: string[], input?: string): Promise<string> {
  let file: string | undefined;
  if (input !== undefined) {
    file = join(await mkdtemp(join(tmpdir(), 'keda-')), 'in.yaml');
    await writeFile(file, input);
    args = [...args, '-f', file];
  }
  const r = await runTool('kubectl', ['--kubeconfig', kubeconfigPath, '--request-timeout=30s', ...args], {
    timeoutMs: 90_000,
  });
  if (file) await rm(join(file, '..'), { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Polls until the CRDs are Established. Not `kubectl wait --for=condition=Established`, nor a
 * jsonpath filter: until the apiextensions controller has written any condition (seconds on a
 * busy machine) both fail at once on the nil list ("<nil> is of the type <nil>") instead of
 * waiting. The JSON is read here instead.
 */
async function waitEstablished(kubeconfigPath: string, crds: string[]): Promise<void> {
  type Crd = { status?: { conditions?: Array<{ type: string; status: string }> | null } };
  const established = (crd: Crd) =>
    (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
  let last: Crd[] = [];
  for (let attempt = 0; attempt < 60; attempt++) {
    last = (JSON.parse(await kubectl(kubeconfigPath, ['get', 'crd', ...crds, '-o', 'json'])) as { items: Crd[] }).items;
    if (last.length === crds.length && last.every(established)) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(
    `CRDs ${crds.join(', ')} not Established after 60 s (conditions: ${JSON.stringify(last.map((c) => c.status?.conditions ?? null))})`,
  );
}

function spawnLogged(bin: string, args: string[], env: Record<string, string>, logFile: string): ChildProcess {
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(bin, args, { env: scrubbedEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  return child;
}

/**
 * Runs a process and starts it again when it exits while wanted (at most `restarts` times):
 * KEDA's cert rotation exits the operator once it has written new certificates to its Secret
 * (RestartOnSecretRefresh), counting on Kubernetes to restart the pod; here the test does.
 */
function supervise(
  start: () => ChildProcess,
  restarts: number,
): { current: () => ChildProcess | undefined; stop: () => Promise<void> } {
  let child: ChildProcess | undefined;
  let wanted = true;
  let left = restarts;
  const launch = () => {
    child = start();
    child.once('exit', () => {
      if (wanted && left-- > 0) launch();
    });
  };
  launch();
  return {
    current: () => child,
    async stop() {
      wanted = false;
      await stopChild(child);
    },
  };
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The selector-less Service and Endpoints in front of the metrics server. */
function serviceObjects(namespace: string, address: string, port: number): string {
  return `
apiVersion: v1
kind: Service
metadata: { name: keda-metrics-apiserver, namespace: ${namespace} }
spec:
  ports: [{ name: https, port: 443, targetPort: ${port}, protocol: TCP }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: keda-metrics-apiserver, namespace: ${namespace} }
subsets:
  - addresses: [{ ip: ${address} }]
    ports: [{ name: https, port: ${port}, protocol: TCP }]
`;
}

/** The APIService, trusting the CA that KEDA's operator issued (caBundle: base64 PEM). */
function apiServiceObject(namespace: string, caBundle: string): string {
  return `
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: { name: ${APISERVICE}, labels: { ${TEST_APISERVICE_LABEL}: "true" } }
spec:
  service: { name: keda-metrics-apiserver, namespace: ${namespace}, port: 443 }
  group: external.metrics.k8s.io
  version: v1beta1
  caBundle: ${caBundle}
  groupPriorityMinimum: 100
  versionPriority: 100
`;
}

/** Resolves once something answers HTTPS at address:port with a certificate for `servername`. */
function serving(address: string, port: number, ca: Buffer, servername: string): Promise<true | undefined> {
  return new Promise((resolve) => {
    const req = httpsRequest({ host: address, port, path: '/healthz', ca, servername, timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts KEDA against the cluster; resolves once the API server serves the aggregated API. */
export async function startKeda(options: KedaOptions): Promise<Keda> {
  const { k, kubeconfigPath } = options;
  const bin = await kedaBinDir();
  const namespace = uniqueName('keda');
  const work = await mkdtemp(join(tmpdir(), 'ci-fixer-keda-'));
  const certDir = join(work, 'certs');
  const logFile = join(work, 'keda.log');
  const cleanups: Array<() => Promise<void>> = [];
  let operator: ReturnType<typeof supervise> | undefined;
  let adapter: ChildProcess | undefined;
  /** Set once the name is known to be free or this test's: only then is it ever deleted. */
  let ownsApiService = false;
  const logTail = async () => (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-40).join('\n');
  const deleteApiService = async () =>
    void (await kubectl(kubeconfigPath, ['delete', 'apiservice', APISERVICE, '--ignore-not-found']));
  const stop = async () => {
    // The APIService goes first: while it names a server that does not answer, every client's
    // API discovery reports the group as failing (kubectl and helm print warnings).
    if (ownsApiService) await deleteApiService().catch(() => undefined);
    await stopChild(adapter);
    await operator?.stop();
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  };

  try {
    cleanups.push(await acquireLease(k, namespace));
    await kubectl(kubeconfigPath, ['apply', '--server-side', '--force-conflicts', '-f', join(bin, 'crds.yaml')]);
    await waitEstablished(kubeconfigPath, ['scaledobjects.keda.sh', 'triggerauthentications.keda.sh']);
    await k.core.createNamespace({ body: { metadata: { name: namespace, labels: { 'ci-fixer.test/tier': 'k8s' } } } });
    cleanups.push(
      async () => void (await k.core.deleteNamespace({ name: namespace, propagationPolicy: 'Background' })),
    );
    const veth: VethHost = await createVethHost();
    cleanups.push(() => veth.remove());

    const adapterPort = await freePort(veth.address);
    const grpcPort = await freePort('127.0.0.1');
    const probePort = await freePort('127.0.0.1');
    const adapterMetricsPort = await freePort('127.0.0.1');
    // A previous run's APIService (it holds the Lease now, so that run is gone) is replaced; any
    // other one, such as a real KEDA install's, is left alone and the test fails instead.
    const existing = await kubectl(kubeconfigPath, [
      'get',
      'apiservice',
      '--ignore-not-found',
      APISERVICE,
      '-o',
      `jsonpath={.metadata.labels.${TEST_APISERVICE_LABEL.replaceAll('.', '\\.')}}|{.metadata.name}`,
    ]);
    if (existing.trim() !== '' && !existing.startsWith('true|')) {
      throw new Error(`the cluster already serves ${APISERVICE} (not this test's); refusing to replace it`);
    }
    ownsApiService = true;
    await deleteApiService();
    await kubectl(kubeconfigPath, ['apply', '-n', namespace], serviceObjects(namespace, veth.address, adapterPort));

    const env = {
      KUBECONFIG: kubeconfigPath,
      POD_NAMESPACE: namespace,
      KEDA_CLUSTER_OBJECT_NAMESPACE: namespace,
      WATCH_NAMESPACE: options.watchNamespace,
    };
    // Upstream flags of a KEDA install (config/manager, config/metrics-server), every listener
    // on loopback or the veth address. The operator issues the certificates (cert rotation):
    // the serving one for keda-metrics-apiserver.<ns>.svc, the gRPC one for keda-operator.<ns>.svc.
    // The test registers the APIService itself (with that CA) once the server answers, so the
    // group is never registered without a server behind it; hence no APIService patching.
    operator = supervise(
      () =>
        spawnLogged(
          join(bin, 'keda'),
          [
            '--leader-elect=false',
            '--zap-log-level=info',
            '--zap-encoder=console',
            '--enable-cert-rotation=true',
            `--cert-dir=${certDir}`,
            '--enable-webhook-patching=false',
            '--enable-apiservice-patching=false',
            '--metrics-bind-address=0',
            `--health-probe-bind-address=127.0.0.1:${probePort}`,
            `--metrics-service-bind-address=127.0.0.1:${grpcPort}`,
          ],
          env,
          logFile,
        ),
      3,
    );
    // KEDA expects its certificate Secret mounted at --cert-dir, as a pod's volume; here the test
    // plays the kubelet and writes the Secret's keys there once the operator has filled it.
    const secret = await waitFor(
      'KEDA operator to issue its certificates (Secret kedaorg-certs)',
      async () => {
        const data = (await k.core.readNamespacedSecret({ name: 'kedaorg-certs', namespace })).data ?? {};
        return data['tls.crt'] && data['tls.key'] && data['ca.crt'] ? data : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    ).catch(async (err: unknown) => {
      throw new Error(`${describeError(err)}\n${await logTail()}`);
    });
    await mkdir(certDir, { recursive: true });
    for (const key of ['ca.crt', 'tls.crt', 'tls.key']) {
      await writeFile(join(certDir, key), Buffer.from(secret[key]!, 'base64'), { mode: 0o600 });
    }

    adapter = spawnLogged(
      join(bin, 'keda-adapter'),
      [
        `--secure-port=${adapterPort}`,
        `--bind-address=${veth.address}`,
        `--cert-dir=${certDir}`,
        `--tls-cert-file=${join(certDir, 'tls.crt')}`,
        `--tls-private-key-file=${join(certDir, 'tls.key')}`,
        `--authentication-kubeconfig=${kubeconfigPath}`,
        `--authorization-kubeconfig=${kubeconfigPath}`,
        `--lister-kubeconfig=${kubeconfigPath}`,
        `--metrics-service-address=127.0.0.1:${grpcPort}`,
        `--metrics-service-grpc-authority=keda-operator.${namespace}.svc.cluster.local`,
        // KEDA's own Prometheus endpoint; upstream binds it on every interface (":port").
        `--port=${adapterMetricsPort}`,
        '--zap-log-level=info',
      ],
      env,
      logFile,
    );
    const ca = Buffer.from(secret['ca.crt']!, 'base64');
    await waitFor(
      `KEDA metrics server serving on ${veth.address}:${adapterPort}`,
      () => serving(veth.address, adapterPort, ca, `keda-metrics-apiserver.${namespace}.svc`),
      {
        timeoutMs: 90_000,
        intervalMs: 500,
      },
    ).catch(async (err: unknown) => {
      throw new Error(`${describeError(err)}\n${await logTail()}`);
    });
    await kubectl(kubeconfigPath, ['apply'], apiServiceObject(namespace, secret['ca.crt']!));
    await waitFor(
      `APIService ${APISERVICE} Available`,
      async () => {
        const out = await kubectl(kubeconfigPath, [
          'get',
          'apiservice',
          APISERVICE,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Available")].status}',
        ]);
        return out.trim() === 'True' ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    ).catch(async (err: unknown) => {
      const status = await kubectl(kubeconfigPath, ['get', 'apiservice', APISERVICE, '-o', 'jsonpath={.status}']).catch(
        () => '',
      );
      throw new Error(`${describeError(err)}\nAPIService status: ${status}\n${await logTail()}`);
    });
    return { namespace, logTail, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
