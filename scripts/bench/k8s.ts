// `npm run bench:k8s`: 50 concurrent sandboxes on a cluster (the test cluster by default), each
// running 3 commands, twice: with pods that are ready at once, and with readiness delayed (the
// pods cannot be scheduled until a bigger simulated node joins). Per task it reports the
// Kubernetes API requests counted on the client, the overhead from Job creation to a ready
// sandbox, and this process's RSS (it plays the worker). A benchmark, not a test: it prints
// figures and exits non-zero only if a sandbox fails.
//
//   KUBECONFIG=... npm run bench:k8s          # or CI_FIXER_TEST_KUBECONFIG; else cluster:up
//   BENCH_TASKS=50 BENCH_DELAY_SECONDS=20 npm run bench:k8s
// The delayed scenario adds a large simulated node for ~1 s at its end; do not run it while the
// k8s test tier runs on the same cluster (tests that rely on "no node has that much CPU" would
// see it).
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { KubeRequestInfo } from '../../src/sandbox/kubernetes/kube-client.js';
import { SANDBOX_SERVICE_ACCOUNT } from '../../src/sandbox/kubernetes/labels.js';
import { createKubernetesSandboxProvider } from '../../src/sandbox/kubernetes/provider.js';
import { BUDGET_PER_ATTEMPT, quantile } from './fleet/figures.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 50);
const EXECS = 3;
const DELAY_SECONDS = Number(process.env.BENCH_DELAY_SECONDS ?? 20);
// bench:fleet checks the same per-Job budget.
const BUDGET = BUDGET_PER_ATTEMPT;

function kubeconfigPath(): string {
  const explicit = process.env.KUBECONFIG ?? process.env.CI_FIXER_TEST_KUBECONFIG;
  if (explicit) return explicit;
  const root = path.resolve(import.meta.dirname, '../..');
  console.error('bench:k8s: no KUBECONFIG; starting the local test cluster (npm run cluster:up)');
  return execFileSync('bash', [path.join(root, 'scripts/test-cluster/up.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  })
    .trim()
    .split('\n')
    .pop()!;
}

function stats(values: number[]): string {
  return `min ${Math.min(...values)}  p50 ${quantile(values, 0.5)}  p95 ${quantile(values, 0.95)}  max ${Math.max(...values)}`;
}

interface Scenario {
  name: string;
  cpuRequest: string;
  /** Runs while the sandboxes wait; resolves when readiness may happen. */
  release?: () => Promise<void>;
}

async function runScenario(kubeconfig: string, namespace: string, scenario: Scenario): Promise<boolean> {
  const requests: KubeRequestInfo[] = [];
  const base = loadConfig({ SANDBOX_DRIVER: 'kubernetes', KUBECONFIG: kubeconfig, SANDBOX_NAMESPACE: namespace })
    .sandbox.kubernetes;
  const provider = createKubernetesSandboxProvider({
    config: {
      ...base,
      resources: { ...base.resources, cpuRequest: scenario.cpuRequest, cpuLimit: scenario.cpuRequest },
      unschedulableGraceSeconds: 600,
    },
    // The reaper runs without a queue here (max age only); its warning about that is expected.
    logger: createLogger('error'),
    onRequest: (info) => requests.push(info),
  });
  await provider.start();
  const rssBaseline = process.memoryUsage().rss;
  let rssPeak = rssBaseline;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  const started = Date.now();
  const ready: number[] = [];
  const execMs: number[] = [];
  const failures: string[] = [];
  const ids = Array.from({ length: TASKS }, () => randomUUID());
  const releasing = scenario.release?.();

  await Promise.all(
    ids.map(async (taskId) => {
      const t0 = performance.now();
      try {
        const sandbox = await provider.create({ taskId, timeoutSeconds: 300 });
        ready.push(Math.round(performance.now() - t0));
        try {
          const commands = ['echo hello', 'for i in 1 2 3; do echo line $i; echo err $i >&2; done', 'exit 3'];
          for (const [i, command] of commands.slice(0, EXECS).entries()) {
            const result = await sandbox.exec(command, { timeoutMs: 60_000, onOutput: () => undefined });
            execMs.push(result.durationMs);
            if (result.exitCode !== (i === 2 ? 3 : 0)) failures.push(`${taskId}: ${command} exited ${result.exitCode}`);
          }
        } finally {
          await sandbox.dispose();
        }
      } catch (err) {
        failures.push(`${taskId}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  await releasing;
  const wallMs = Date.now() - started;
  clearInterval(sampler);
  await provider.stop();

  const perTask = ids.map((id) => requests.filter((r) => r.taskId === id).length);
  const shared = requests.filter((r) => r.taskId === undefined);
  const kinds = (list: KubeRequestInfo[]) =>
    Object.entries(
      list.reduce<Record<string, number>>((acc, r) => {
        const key = `${r.kind} ${r.method} ${r.path.split('/').slice(-1)[0]}`;
        acc[key] = (acc[key] ?? 0) + 1;
        return acc;
      }, {}),
    )
      .map(([k, n]) => `${k}=${n}`)
      .join(', ');
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

  console.log(`\n== ${scenario.name}: ${TASKS} concurrent sandboxes x ${EXECS} commands ==`);
  console.log(`wall time                      ${(wallMs / 1000).toFixed(1)} s, failures ${failures.length}`);
  console.log(
    `API requests per task          ${stats(perTask)}  (budget ${BUDGET} + ${EXECS} execs = ${BUDGET + EXECS})`,
  );
  console.log(`  of one task                  ${kinds(requests.filter((r) => r.taskId === ids[0]))}`);
  console.log(
    `API requests shared (process)  ${shared.length} total, ${(shared.length / TASKS).toFixed(2)} per task: ${kinds(shared)}`,
  );
  console.log(`Job creation -> ready (ms)     ${stats(ready)}`);
  console.log(`exec duration (ms)             ${stats(execMs)}`);
  console.log(
    `worker RSS                     baseline ${mib(rssBaseline)}, peak ${mib(rssPeak)} (+${mib(rssPeak - rssBaseline)})`,
  );
  for (const failure of failures.slice(0, 5)) console.log(`  failure: ${failure}`);
  return failures.length === 0 && Math.max(...perTask) <= BUDGET + EXECS;
}

async function main(): Promise<number> {
  const kubeconfig = kubeconfigPath();
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const namespace = `ci-fixer-bench-${randomBytes(3).toString('hex')}`;
  const bigNode = `${namespace}-node`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  await core.createNamespacedServiceAccount({
    namespace,
    body: { metadata: { name: SANDBOX_SERVICE_ACCOUNT }, automountServiceAccountToken: false },
  });
  try {
    const prompt = await runScenario(kubeconfig, namespace, { name: 'pods ready at once', cpuRequest: '100m' });
    const delayed = await runScenario(kubeconfig, namespace, {
      name: `readiness delayed ~${DELAY_SECONDS} s (unschedulable until a node joins)`,
      // More than any existing simulated node offers: Pending until the big node below exists.
      cpuRequest: '33',
      release: async () => {
        await new Promise((r) => setTimeout(r, DELAY_SECONDS * 1000));
        const capacity = {
          cpu: String(40 * TASKS),
          memory: '1Ti',
          pods: String(TASKS + 10),
          'ephemeral-storage': '10Ti',
        };
        await core.createNode({
          body: {
            metadata: { name: bigNode, annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { type: 'kwok' } },
            status: { allocatable: capacity, capacity },
          },
        });
      },
    });
    return prompt && delayed ? 0 : 1;
  } finally {
    await core.deleteNode({ name: bigNode }).catch(() => undefined);
    await core.deleteNamespace({ name: namespace, propagationPolicy: 'Background' }).catch(() => undefined);
  }
}

process.exitCode = await main();
