// One run of bench:fleet: an API process and N worker processes on a fresh queue prefix, every
// task submitted over HTTP at once, the faults (when asked) injected at set shares of finished
// tasks, then the figures, all measured here: task records from Redis, per-task API requests and
// exec intervals from the proxy, ready pods from a watch, RSS from /proc, used_memory from INFO.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { SANDBOX_SELECTOR, jobNameForTask } from '../../../src/sandbox/kubernetes/labels.js';
import { TaskStore } from '../../../src/result/task-store.js';
import { isFinal, type TaskRecord } from '../../../src/task.js';
import { startCiFixer, type CiFixerProcess } from '../../../test/support/ci-fixer-process.js';
import type { ApiProxy } from './api-proxy.js';
import type { BenchCluster, ReadyPods } from './cluster.js';
import { computeFigures, type RunFigures } from './figures.js';
import type { BenchRedis } from './redis.js';

export interface RunSettings {
  name: string;
  tasks: number;
  workers: number;
  workerConcurrency: number;
  maxConcurrentSandboxes: number;
  reaperIntervalSeconds: number;
  faults: boolean;
  throttleSeconds: number;
  timeoutMs: number;
  repoUrl: string;
  command: string;
}

export interface RunContext {
  cluster: BenchCluster;
  redis: BenchRedis;
  proxy: ApiProxy;
  pods: ReadyPods;
  workerKubeconfig: string;
  log: (line: string) => void;
}

const TOKEN = 'bench-fleet-token';

/** Every ci-fixer process started and not yet stopped, for the benchmark's abort path. */
const live = new Set<CiFixerProcess>();
export function killLiveProcesses(): void {
  for (const p of live) p.child.kill('SIGKILL');
}
async function start(mode: 'api' | 'worker', env: Record<string, string>): Promise<CiFixerProcess> {
  const p = await startCiFixer(mode, env);
  live.add(p);
  p.child.once('exit', () => live.delete(p));
  return p;
}

/** Bounded wait for `cond`, checked every `everyMs`; false when the deadline passed first. */
async function until(cond: () => boolean, deadline: number, everyMs = 250): Promise<boolean> {
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}

function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function submitAll(url: string, count: number, body: string, deadline: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < count) {
      next++;
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${url}/api/v1/tasks`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        if (res.ok) {
          ids.push(((await res.json()) as { id: string }).id);
          break;
        }
        if (attempt >= 5 || Date.now() > deadline)
          throw new Error(`submitting a task failed: HTTP ${res.status} ${await res.text()}`);
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, one));
  return ids;
}

export async function runFleet(ctx: RunContext, s: RunSettings): Promise<RunFigures> {
  const { cluster, redis, proxy, pods, log } = ctx;
  const prefix = `bench-fleet-${s.name}-${randomBytes(3).toString('hex')}`;
  const deadline = Date.now() + s.timeoutMs;
  const common = { REDIS_URL: redis.url, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info' };
  const workerEnv = {
    ...common,
    SANDBOX_DRIVER: 'kubernetes',
    KUBECONFIG: ctx.workerKubeconfig,
    SANDBOX_NAMESPACE: cluster.namespace,
    WORKER_CONCURRENCY: String(s.workerConcurrency),
    MAX_CONCURRENT_SANDBOXES: String(s.maxConcurrentSandboxes),
    REAPER_INTERVAL_SECONDS: String(s.reaperIntervalSeconds),
  };
  const processes: CiFixerProcess[] = [];
  const retired: CiFixerProcess[] = [];
  const faults: string[] = [];
  const store = new Redis(redis.url, { maxRetriesPerRequest: 2, connectTimeout: 2000, commandTimeout: 5000 });
  store.on('error', () => undefined);
  const tasks = new TaskStore({
    redis: store,
    prefix,
    retentionSeconds: 7 * 24 * 3600,
    unfinishedTtlSeconds: 30 * 24 * 3600,
    logMaxLines: 10_000,
    logMaxBytes: 5 * 1024 * 1024,
  });
  let sampler: NodeJS.Timeout | undefined;
  try {
    proxy.reset();
    const api = await start('api', {
      ...common,
      API_TOKENS: TOKEN,
      MAX_QUEUED_TASKS: '0',
      API_RATE_LIMIT_PER_MINUTE: '0',
      CONSOLE_ENABLED: 'false',
      SANDBOX_DRIVER: 'local',
    });
    processes.push(api);
    const workers = await Promise.all(Array.from({ length: s.workers }, () => start('worker', workerEnv)));
    processes.push(...workers);
    await Promise.all(workers.map((w) => w.waitForLog('worker_started')));
    const idleRss = workers.reduce((sum, w) => sum + rssBytes(w.child.pid), 0);
    const memoryBefore = await redis.usedMemory();
    pods.resetPeak();
    proxy.resetPeak();

    let peakRss = { total: idleRss, sandboxes: 0 };
    sampler = setInterval(() => {
      const total = workers.reduce((sum, w) => sum + rssBytes(w.child.pid), 0);
      const sandboxes = proxy.liveJobs().now;
      if (sandboxes > peakRss.sandboxes || (sandboxes === peakRss.sandboxes && total > peakRss.total))
        peakRss = { total, sandboxes };
    }, 1000);

    const started = Date.now();
    const body = JSON.stringify({ repo: { url: s.repoUrl, ref: 'main' }, command: s.command, timeoutSeconds: 300 });
    const ids = await submitAll(api.url, s.tasks, body, deadline);
    proxy.track(ids.map(jobNameForTask));
    log(`${s.name}: ${ids.length} tasks submitted in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const records = new Map<string, TaskRecord>();
    let finished = 0;
    const poll = async () => {
      const open = ids.filter((id) => !records.has(id) || !isFinal(records.get(id)!.state));
      for (let i = 0; i < open.length; i += 200) {
        const batch = await Promise.all(open.slice(i, i + 200).map((id) => tasks.get(id).catch(() => undefined)));
        batch.forEach((r, j) => {
          if (r) records.set(open[i + j]!, r);
        });
      }
      finished = [...records.values()].filter((r) => isFinal(r.state)).length;
    };

    const faulting = s.faults ? injectFaults() : Promise.resolve();
    async function injectFaults(): Promise<void> {
      const at = (share: number) => until(() => finished >= share * ids.length, deadline);
      if (await at(0.15)) {
        const victim = 1 % workers.length;
        const old = workers[victim]!;
        const active = proxy.liveJobs().now;
        await old.stop('SIGKILL');
        retired.push(old);
        faults.push(`worker ${victim} SIGKILLed at ${finished} finished (${active} sandboxes held)`);
        await new Promise((r) => setTimeout(r, 5000));
        const fresh = await start('worker', workerEnv);
        workers[victim] = fresh;
        processes.push(fresh);
        faults.push('  restarted after 5 s');
      }
      if (await at(0.4)) {
        const { keysBefore, keysAfter } = await redis.restart(3000);
        faults.push(
          `redis restarted (SHUTDOWN NOSAVE, 3 s down, AOF kept) at ${finished} finished: ${keysBefore} keys before, ${keysAfter} after`,
        );
      }
      if (await at(0.65)) {
        const before = proxy.shared().throttled + [...proxy.perJob().values()].reduce((n, c) => n + c.throttled, 0);
        await proxy.throttle(s.throttleSeconds * 1000, 2, 0.5);
        const after = proxy.shared().throttled + [...proxy.perJob().values()].reduce((n, c) => n + c.throttled, 0);
        faults.push(
          `API throttled ${s.throttleSeconds} s at ~${Math.round(0.65 * ids.length)} finished: ${after - before} requests answered 429 (Retry-After: 2)`,
        );
      }
    }

    let lastLog = 0;
    while (finished < ids.length && Date.now() < deadline) {
      await poll().catch(() => undefined);
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        log(
          `${s.name}: ${finished}/${ids.length} finished, ${proxy.liveJobs().now} sandboxes held (peak ${proxy.liveJobs().peak}), ${pods.current()} pods ready, ${Math.round((Date.now() - started) / 1000)} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    const wallMs = Date.now() - started;
    await faulting;
    clearInterval(sampler);
    sampler = undefined;

    // One reaper interval (plus a margin) with the workers still up, then count what is left.
    await new Promise((r) => setTimeout(r, (s.reaperIntervalSeconds + 5) * 1000));
    const left = await cluster.batch.listNamespacedJob({
      namespace: cluster.namespace,
      labelSelector: SANDBOX_SELECTOR,
    });
    const leaked = left.items.filter(
      (j) => !j.metadata?.deletionTimestamp && ids.includes(j.metadata?.annotations?.['ci-fixer.dev/task-id'] ?? ''),
    ).length;
    const memoryAfter = await redis.usedMemory();
    await poll().catch(() => undefined);

    const logs = [...new Set([...processes, ...retired])].filter((p) => p !== api).flatMap((p) => p.logs);
    return computeFigures({
      name: s.name,
      ids,
      records,
      proxy,
      logs,
      wallMs,
      leaked,
      peakSandboxes: proxy.liveJobs().peak,
      peakPods: pods.peak(),
      peakReady: pods.peakReady(),
      podTimes: pods.times(),
      rss: { idle: idleRss, atPeak: peakRss.total, sandboxesAtPeak: peakRss.sandboxes },
      redisBytes: memoryAfter - memoryBefore,
      faults,
    });
  } finally {
    if (sampler) clearInterval(sampler);
    await Promise.all(processes.map((p) => p.stop('SIGTERM', 20_000).catch(() => undefined)));
    store.disconnect();
  }
}
