// `npm run bench:fleet`: BENCH_TASKS (1,000) fix tasks through MAX_CONCURRENT_SANDBOXES (200)
// concurrent sandboxes on the test cluster, with 4 ci-fixer worker processes (the built `worker`
// role, as child processes) and an API process, on a redis-server of its own (AOF on, a free
// loopback port). Twice: a baseline with no faults, then a run with faults injected, each bounded
// and on loopback: one worker SIGKILLed and restarted, Redis restarted with its AOF, and the API
// server throttled for 30 s with real 429s by a TLS proxy (scripts/bench/fleet/api-proxy.ts) that
// the workers' kubeconfig points at. It prints one table, the faulted run as ratios to the
// baseline, and exits non-zero when a bound is missed (lost, run twice, leaked, peak, budget).
//
// A task: a small git repository (file://) and the command
//   echo build ok && echo lint ok && { echo 'test failed: expected 2, got 3' >&2; exit 3; }
// three steps, the last of which fails. No fixer applies, so the pipeline clones, reproduces the
// failure, re-runs it once (an unknown failure may be flaky) and ends `not_fixed`: every exec the
// real pipeline makes is counted (execs per task is a row of the table).
//
//   npm run bench:fleet                         # cluster ci-fixer-fleet, started if needed
//   BENCH_TASKS=200 npm run bench:fleet         # a smaller run first
// Knobs: BENCH_TASKS, BENCH_WORKERS (4), BENCH_MAX_SANDBOXES (200), BENCH_WORKER_CONCURRENCY
// (64: 4 x 64 > 200, so the global cap is what binds), BENCH_REAPER_SECONDS (20),
// BENCH_THROTTLE_SECONDS (30), BENCH_RUN_TIMEOUT_SECONDS (2400), BENCH_ONLY=baseline|faulted.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFixtureRepo } from '../lib/git-fixtures.js';
import { startApiProxy, type ApiProxy } from './fleet/api-proxy.js';
import {
  prepareCluster,
  servingCertificate,
  upstreamOf,
  watchReadyPods,
  writeWorkerKubeconfig,
  type BenchCluster,
  type ReadyPods,
} from './fleet/cluster.js';
import { BUDGET_PER_ATTEMPT, formatTable, type RunFigures } from './fleet/figures.js';
import { startBenchRedis, type BenchRedis } from './fleet/redis.js';
import { killLiveProcesses, runFleet, type RunSettings } from './fleet/run.js';

const env = (name: string, def: number): number => {
  const v = Number(process.env[name] ?? def);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const TASKS = env('BENCH_TASKS', 1000);
const MAX_SANDBOXES = env('BENCH_MAX_SANDBOXES', 200);
const COMMAND = "echo build ok && echo lint ok && { echo 'test failed: expected 2, got 3' >&2; exit 3; }";
const log = (line: string) => console.error(`bench:fleet: ${line}`);

function kubeconfigPath(): string {
  const explicit = process.env.KUBECONFIG ?? process.env.CI_FIXER_TEST_KUBECONFIG;
  if (explicit) return explicit;
  const root = path.resolve(import.meta.dirname, '../..');
  // A cluster of its own by default: the bench adds a node and loads the control plane.
  const name = process.env.CI_FIXER_TEST_CLUSTER_NAME ?? 'ci-fixer-fleet';
  log(`no KUBECONFIG; starting test cluster ${name} (scripts/test-cluster/up.sh)`);
  return execFileSync('bash', [path.join(root, 'scripts/test-cluster/up.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
    env: { ...process.env, CI_FIXER_TEST_CLUSTER_NAME: name },
  })
    .trim()
    .split('\n')
    .pop()!;
}

/**
 * The host folder where the test cluster's kwok ran a namespace's execs (scripts/test-cluster:
 * <root>/kwok/clusters/<name>/kubeconfig.yaml beside <root>/state/<name>/exec); undefined for
 * any other cluster.
 */
function kwokExecRoot(kubeconfig: string, namespace: string): string | undefined {
  const m = /^(.*)\/kwok\/clusters\/([^/]+)\/kubeconfig\.yaml$/.exec(kubeconfig);
  return m ? path.join(m[1]!, 'state', m[2]!, 'exec', namespace) : undefined;
}

function passed(f: RunFigures): string[] {
  const missed: string[] = [];
  if (f.lost !== 0) missed.push(`${f.name}: ${f.lost} tasks lost`);
  if (f.runTwice !== 0) missed.push(`${f.name}: ${f.runTwice} tasks ran twice at once`);
  if (f.leaked !== 0) missed.push(`${f.name}: ${f.leaked} Jobs leaked`);
  if (f.peakSandboxes < Math.min(MAX_SANDBOXES, TASKS))
    missed.push(`${f.name}: peak ${f.peakSandboxes} sandboxes < ${Math.min(MAX_SANDBOXES, TASKS)}`);
  if (f.peakSandboxes > MAX_SANDBOXES)
    missed.push(`${f.name}: peak ${f.peakSandboxes} sandboxes above the cap ${MAX_SANDBOXES}`);
  if (f.overBudget !== 0)
    missed.push(`${f.name}: ${f.overBudget} tasks over the request budget (${BUDGET_PER_ATTEMPT}/attempt + 1/exec)`);
  return missed;
}

/** Set while main runs: what a timeout or a signal must still tear down. */
let cleanup: (() => Promise<void>) | undefined;

async function main(): Promise<number> {
  const overall = env('BENCH_RUN_TIMEOUT_SECONDS', 2400) * 1000;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-fleet-'));
  let cluster: BenchCluster | undefined;
  let redis: BenchRedis | undefined;
  let proxy: ApiProxy | undefined;
  let pods: ReadyPods | undefined;
  let cleaned: Promise<void> | undefined;
  // Each step on its own and bounded: one that hangs (a watch that will not close) must not keep
  // the namespace and the node in the cluster.
  const step = (work: (() => Promise<unknown>) | undefined) =>
    work === undefined
      ? Promise.resolve()
      : Promise.race([work().catch(() => undefined), new Promise((r) => setTimeout(r, 15_000).unref())]);
  cleanup = () =>
    (cleaned ??= (async () => {
      await Promise.all([
        step(cluster && (() => cluster!.cleanup())),
        step(pods && (() => pods!.stop())),
        step(proxy && (() => proxy!.stop())),
        step(redis && (() => redis!.stop())),
      ]);
      await rm(dir, { recursive: true, force: true });
      // kwok ran every exec in a folder per pod on this host (a clone each): about 0.4 MB a task.
      const execRoot = cluster && kwokExecRoot(kubeconfig, cluster.namespace);
      if (execRoot) await rm(execRoot, { recursive: true, force: true });
    })());
  let kubeconfig = '';
  try {
    kubeconfig = kubeconfigPath();
    cluster = await prepareCluster(kubeconfig, `ci-fixer-fleet-${randomBytes(3).toString('hex')}`, MAX_SANDBOXES);
    const serving = servingCertificate(dir);
    proxy = await startApiProxy(upstreamOf(cluster.kc), serving);
    const workerKubeconfig = writeWorkerKubeconfig(path.join(dir, 'worker-kubeconfig.yaml'), proxy.url, serving.cert);
    redis = await startBenchRedis();
    pods = await watchReadyPods(cluster.kc, cluster.core, cluster.namespace);
    const repo = await createFixtureRepo(path.join(dir, 'repo'), 'passing');
    log(`namespace ${cluster.namespace}, node ${cluster.node}, redis ${redis.url} (AOF), API proxy ${proxy.url}`);

    const settings = (name: string, faults: boolean): RunSettings => ({
      name,
      tasks: TASKS,
      workers: env('BENCH_WORKERS', 4),
      workerConcurrency: env('BENCH_WORKER_CONCURRENCY', 64),
      maxConcurrentSandboxes: MAX_SANDBOXES,
      reaperIntervalSeconds: env('BENCH_REAPER_SECONDS', 20),
      faults,
      throttleSeconds: env('BENCH_THROTTLE_SECONDS', 30),
      timeoutMs: overall,
      repoUrl: repo.url,
      command: COMMAND,
    });
    const ctx = { cluster, redis, proxy, pods, workerKubeconfig, log };
    const only = process.env.BENCH_ONLY;
    const runs: RunFigures[] = [];
    if (only !== 'faulted') runs.push(await runFleet(ctx, settings('baseline', false)));
    if (only !== 'baseline') runs.push(await runFleet(ctx, settings('faulted', true)));

    console.log(
      `\n== bench:fleet: ${TASKS} tasks, ${settings('', false).workers} workers x concurrency ${settings('', false).workerConcurrency}, MAX_CONCURRENT_SANDBOXES=${MAX_SANDBOXES} ==`,
    );
    console.log(`task: ${COMMAND}  (file:// repo; outcome not_fixed after reproduce + re-run)`);
    console.log(formatTable(runs, { maxConcurrentSandboxes: MAX_SANDBOXES }));
    const missed = runs.flatMap(passed);
    for (const m of missed) console.log(`MISSED: ${m}`);
    return missed.length === 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
}

/** Kills the ci-fixer processes, tears down the namespace, node, proxy and Redis (bounded), then exits. */
function abort(why: string, code: number): void {
  log(`${why}; cleaning up and exiting`);
  killLiveProcesses();
  const hard = setTimeout(() => process.exit(code), 30_000);
  hard.unref();
  void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(code));
}
// The whole benchmark is bounded: two run timeouts plus a margin.
const guard = setTimeout(() => abort('overall timeout', 2), (env('BENCH_RUN_TIMEOUT_SECONDS', 2400) * 2 + 600) * 1000);
guard.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort(signal, 130));
process.exitCode = await main();
process.exit();
