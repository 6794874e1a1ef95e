// Autoscaling end to end: the chart's KEDA mode drives the worker Deployment on the autoscaling
// figure (waiting + prioritized + due delayed + active tasks, src/queue/scaling.ts), read by
// KEDA's metrics-api trigger from GET /scaling of a real ci-fixer api process.
//
// What is real: KEDA's operator and metrics API server (built from the module proxy, run as host
// processes), the APIService the real kube-apiserver aggregates, the HPA controller in the real
// kube-controller-manager (which scales 1 <-> maxReplicaCount on the external metric KEDA serves;
// KEDA itself scales 0 <-> 1), the real ReplicaSet controller and scheduler, Redis and BullMQ.
// What is simulated: the worker replicas are kwok pods, so no worker process runs in them. The
// queue is drained by real worker processes on this host (local sandbox driver) instead, which
// are not the Deployment's pods: this test proves the replica counts the controllers choose, and
// the grace period a removed pod gets; that a worker given SIGTERM finishes or requeues its tasks
// is test/e2e/worker-shutdown-drains-or-requeues.test.ts.
import { AppsV1Api, AutoscalingV2Api, CustomObjectsApi } from '@kubernetes/client-node';
import { inject, afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART, RELEASE, helm, kubectl } from '../support/helm-release.js';
import { startKeda, type Keda } from '../support/keda.js';
import { k8sClients, useTestNamespace, waitFor } from '../support/k8s.js';
import { E2E_TOKEN, useE2eStack } from '../support/e2e-stack.js';
import type { CiFixerProcess } from '../support/ci-fixer-process.js';
import { taskClient, TERMINAL, type TaskClient } from '../support/task-client.js';
import type { ScalingFigure } from '../../src/queue/scaling.js';

const MAX_REPLICAS = 4;
const CONCURRENCY = 2;
const COOLDOWN_SECONDS = 10;
const DRAIN_SECONDS = 30;
const BURST = 100;

describe('KEDA scales the worker Deployment on the queue figure', () => {
  const ns = useTestNamespace('keda-autoscale');
  const stack = useE2eStack('k8s-autoscale');
  const k = k8sClients();
  const apps = k.kc.makeApiClient(AppsV1Api);
  let keda: Keda | undefined;
  let api: CiFixerProcess;
  let client: TaskClient;
  let scalingUrl: string;
  const ids: string[] = [];
  // Every spec.replicas value the Deployment had, in order, with when it was first seen.
  const history: Array<{ replicas: number; at: number }> = [];
  let watching: NodeJS.Timeout | undefined;

  /** Reads spec.replicas and records it in `history` when it changed. */
  const replicas = async () => {
    const n = (await apps.readNamespacedDeployment({ name: 'ci-fixer-worker', namespace: ns.name })).spec?.replicas;
    if (n !== undefined && history.at(-1)?.replicas !== n) history.push({ replicas: n, at: Date.now() });
    return n;
  };
  const replicasReach = (n: number, timeoutMs: number) =>
    waitFor(
      `worker Deployment at ${n} replicas (history ${JSON.stringify(history.map((h) => h.replicas))})`,
      async () => ((await replicas()) === n ? true : undefined),
      {
        timeoutMs,
        intervalMs: 500,
      },
    ).catch(async (err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nKEDA log:\n${await keda?.logTail()}`);
    });
  const figure = async (): Promise<ScalingFigure> => (await (await fetch(scalingUrl)).json()) as ScalingFigure;
  const submit = async (n: number) => {
    for (let i = 0; i < n; i++)
      ids.push(
        (await client.submit({ repo: { url: stack.repo().url, ref: 'main' }, command: 'true', timeoutSeconds: 120 }))
          .id,
      );
  };

  beforeAll(async () => {
    api = await stack.start('api', {});
    const started = api.logs.find((e) => e.msg === 'ci_fixer_started');
    scalingUrl = `http://127.0.0.1:${String(started?.metricsPort)}/scaling`;
    client = taskClient(api.url, E2E_TOKEN);
    keda = await startKeda({ k, kubeconfigPath: inject('kubeconfig'), watchNamespace: ns.name });
  }, 300_000);

  afterAll(async () => {
    if (watching) clearInterval(watching);
    // The ScaledObject carries KEDA's finalizer: remove it while KEDA still runs.
    await helm(['uninstall', RELEASE, '-n', ns.name, '--wait', '--timeout', '60s'], false);
    await keda?.stop();
  }, 180_000);

  it('installs in KEDA mode: an empty queue keeps the worker Deployment at minReplicaCount 0', async () => {
    // Short cooldown and stabilisation so the narrative takes seconds, not the production minutes.
    await helm([
      'install',
      RELEASE,
      CHART,
      '-n',
      ns.name,
      '--set',
      'keda.enabled=true',
      '--set',
      `keda.metricsApiUrl=${scalingUrl}`,
      '--set',
      'keda.minReplicaCount=0',
      '--set',
      `keda.maxReplicaCount=${MAX_REPLICAS}`,
      '--set',
      `keda.cooldownPeriod=${COOLDOWN_SECONDS}`,
      '--set',
      'keda.pollingInterval=2',
      '--set',
      'keda.scaleDownStabilizationSeconds=5',
      '--set',
      `worker.concurrency=${CONCURRENCY}`,
      '--set',
      `worker.drainSeconds=${DRAIN_SECONDS}`,
      '--set',
      'redis.bundled.enabled=false',
      '--set',
      'secret.redisUrl=redis://redis.invalid:6379',
      '--set',
      'sandbox.namespace.dedicated=false',
      '--timeout',
      '120s',
    ]);
    watching = setInterval(() => void replicas().catch(() => undefined), 250);

    expect(await figure()).toMatchObject({ demand: 0 });
    await replicasReach(0, 90_000);
    // KEDA has read the figure (0) and reports the ScaledObject ready and inactive.
    await waitFor('ScaledObject Ready and not Active', async () => {
      const so = (await k.kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group: 'keda.sh',
        version: 'v1alpha1',
        namespace: ns.name,
        plural: 'scaledobjects',
        name: 'ci-fixer-worker',
      })) as { status?: { conditions?: Array<{ type: string; status: string }> } };
      const status = (type: string) => so.status?.conditions?.find((c) => c.type === type)?.status;
      return status('Ready') === 'True' && status('Active') === 'False' ? true : undefined;
    });
    expect(await replicas()).toBe(0);
  }, 240_000);

  it('gives a removed worker pod longer than the drain: terminationGracePeriodSeconds >= WORKER_DRAIN_SECONDS', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'ci-fixer-worker', namespace: ns.name });
    const cm = await k.core.readNamespacedConfigMap({ name: 'ci-fixer-config', namespace: ns.name });
    expect(cm.data?.WORKER_DRAIN_SECONDS).toBe(String(DRAIN_SECONDS));
    expect(d.spec?.template.spec?.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      Number(cm.data?.WORKER_DRAIN_SECONDS),
    );
  });

  it('the first queued task activates the workers: 0 -> 1 (KEDA)', async () => {
    await submit(1);
    expect(await figure()).toMatchObject({ waiting: 1, demand: 1 });
    await replicasReach(1, 60_000);
  });

  it('a burst of 100 queued tasks raises it to maxReplicaCount (the HPA controller, on the metric KEDA serves through the aggregated API)', async () => {
    await submit(BURST);
    expect(await figure()).toMatchObject({ waiting: BURST + 1, demand: BURST + 1 });
    // The aggregated API answers with the same figure the endpoint reports.
    const hpa = await waitFor('the HPA KEDA created', () =>
      k.kc
        .makeApiClient(AutoscalingV2Api)
        .readNamespacedHorizontalPodAutoscaler({ name: 'keda-hpa-ci-fixer-worker', namespace: ns.name }),
    );
    expect(hpa.spec.minReplicas).toBe(1);
    expect(hpa.spec.maxReplicas).toBe(MAX_REPLICAS);
    expect(hpa.spec.behavior?.scaleDown?.stabilizationWindowSeconds).toBe(5);
    const metric = hpa.spec.metrics?.[0]?.external;
    expect(metric?.target).toMatchObject({ type: 'AverageValue', averageValue: String(CONCURRENCY) });
    const raw = await kubectl([
      'get',
      '--raw',
      `/apis/external.metrics.k8s.io/v1beta1/namespaces/${ns.name}/${metric?.metric.name}?labelSelector=scaledobject.keda.sh%2Fname%3Dci-fixer-worker`,
    ]);
    expect(raw.code, raw.stderr).toBe(0);
    const items = (JSON.parse(raw.stdout) as { items: Array<{ value: string }> }).items;
    expect(items.map((i) => Number(i.value))).toEqual([BURST + 1]);

    await replicasReach(MAX_REPLICAS, 90_000);
    const scaled = await waitFor('the HPA to report its external metric', async () => {
      const h = await k.kc
        .makeApiClient(AutoscalingV2Api)
        .readNamespacedHorizontalPodAutoscaler({ name: 'keda-hpa-ci-fixer-worker', namespace: ns.name });
      return h.status?.currentMetrics?.[0]?.external ? h : undefined;
    });
    expect(scaled.status?.desiredReplicas).toBe(MAX_REPLICAS);
    expect(scaled.status?.conditions?.find((c) => c.type === 'ScalingLimited')?.status).toBe('True');
  }, 240_000);

  it('as the queue drains it falls back to 0 after the cooldown, and no task is lost', async () => {
    // Real workers on this host drain the queue (the kwok replicas run nothing).
    const workerEnv = {
      SANDBOX_DRIVER: 'local',
      WORKER_CONCURRENCY: '8',
      MAX_CONCURRENT_SANDBOXES: '16',
      WORKER_LOCK_MS: '10000',
    };
    await Promise.all([stack.start('worker', workerEnv), stack.start('worker', workerEnv)]);
    await waitFor('the queue to drain (figure 0)', async () => ((await figure()).demand === 0 ? true : undefined), {
      timeoutMs: 240_000,
      intervalMs: 1000,
    });
    const drainedAt = Date.now();
    const finals = await Promise.all(ids.map((id) => client.get(id)));
    expect(finals.filter((t) => !TERMINAL(t))).toEqual([]);
    expect(finals.map((t) => t.state).filter((s) => s !== 'succeeded')).toEqual([]);
    expect(new Set(finals.map((t) => t.id)).size).toBe(BURST + 1);

    await replicasReach(0, 120_000);
    const seen = history.map((h) => h.replicas);
    const peak = seen.indexOf(MAX_REPLICAS);
    expect(seen.slice(0, peak + 1)).toEqual(expect.arrayContaining([0, 1, MAX_REPLICAS]));
    // After the peak the count only falls, and it reached 0 only once the queue was empty.
    const after = seen.slice(peak);
    expect(after).toEqual([...after].sort((a, b) => b - a));
    expect(history.at(-1)).toMatchObject({ replicas: 0 });
    expect(history.at(-1)!.at).toBeGreaterThan(drainedAt);
  }, 420_000);
});
