// bench:fleet's figures from what one run recorded, and the printed table (the faulted run as
// ratios to the baseline). Pure apart from reading the proxy's counters.
import { jobNameForTask } from '../../../src/sandbox/kubernetes/labels.js';
import { isFinal, type TaskRecord } from '../../../src/task.js';
import type { ApiProxy, ExecInterval } from './api-proxy.js';
import type { PodTimes } from './cluster.js';

/** Kubernetes requests a task may make besides its execs, per sandbox Job (attempt): bench:k8s's budget. */
export const BUDGET_PER_ATTEMPT = 6;

export interface RunFigures {
  name: string;
  submitted: number;
  finished: number;
  lost: number;
  outcomes: Record<string, number>;
  errors: Record<string, number>;
  retried: number;
  runTwice: number;
  leaked: number;
  peakSandboxes: number;
  peakPods: number;
  peakReady: number;
  requestsPerTask: { p50: number; p95: number; max: number };
  execsPerTask: { p50: number; max: number };
  overBudget: number;
  sharedPerTask: number;
  sharedKinds: string;
  throttled: number;
  upstreamStatuses: Record<string, number>;
  queueWaitMs: { p50: number; p95: number };
  readyMs: { p50: number; p95: number };
  /** Where creation -> ready goes (API timestamps, whole seconds): Job create to its pod, pod to scheduled, scheduled to Ready. */
  readySteps: { toPodS: number; toScheduledS: number; toReadyS: number };
  rss: { idleMiB: number; atPeakMiB: number; perSandboxMiB: number; sandboxesAtPeak: number };
  redisBytesPerTask: number;
  throughputPerMin: number;
  wallS: number;
  faults: string[];
  /** Worker log events that tell what went wrong on the way (attempt failures by error code, etc.). */
  events: Record<string, number>;
  /** One message per final error code, and per worker event. */
  errorSamples: Record<string, string>;
  eventSamples: Record<string, string>;
}

/** Worker log messages worth counting in a run; task_attempt_failed is split by its error's code. */
const EVENTS = new Set([
  'task_attempt_failed',
  'task_failed_stalled',
  'task_requeued_on_shutdown',
  'task_write_refused',
  'task_attempt_superseded',
  'sandbox_dispose_failed',
  'sandbox_job_reaped',
  'sandbox_job_replaced',
  'sandbox_start_failed',
  'sandbox_pod_lost',
  'pod_watch_error',
  'pod_resync_failed',
  'reaper_tick_failed',
  'worker_error',
]);

function eventKey(e: Record<string, unknown>): string {
  const err = e.err as { code?: unknown } | undefined;
  const code = typeof err?.code === 'string' || typeof err?.code === 'number' ? `:${err.code}` : '';
  return `${String(e.msg)}${e.msg === 'task_attempt_failed' || e.msg === 'sandbox_start_failed' || e.msg === 'sandbox_dispose_failed' ? code : ''}`;
}

export interface RunRecord {
  name: string;
  ids: string[];
  records: Map<string, TaskRecord>;
  proxy: ApiProxy;
  logs: Array<Record<string, unknown>>;
  wallMs: number;
  leaked: number;
  peakSandboxes: number;
  peakPods: number;
  peakReady: number;
  podTimes: Map<string, PodTimes>;
  rss: { idle: number; atPeak: number; sandboxesAtPeak: number };
  redisBytes: number;
  faults: string[];
}

export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Two exec connections of one task on different pods open at the same time: two attempts running at once. */
export function overlapsAcrossPods(intervals: ExecInterval[], now = Date.now()): boolean {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i]!;
      const b = sorted[j]!;
      if (b.start >= (a.end ?? now)) break;
      if (a.pod !== b.pod) return true;
    }
  }
  return false;
}

/** p50 of each step of pod start-up, in seconds (the API's timestamps have whole seconds). */
function readySteps(pods: Map<string, PodTimes>, jobCreated: Map<string, number>): RunFigures['readySteps'] {
  const toPod: number[] = [];
  const toScheduled: number[] = [];
  const toReady: number[] = [];
  for (const p of pods.values()) {
    const job = jobCreated.get(p.job);
    if (job !== undefined) toPod.push((p.created - Math.floor(job / 1000) * 1000) / 1000);
    if (p.scheduled !== undefined) toScheduled.push((p.scheduled - p.created) / 1000);
    if (p.scheduled !== undefined && p.ready !== undefined) toReady.push((p.ready - p.scheduled) / 1000);
  }
  return { toPodS: quantile(toPod, 0.5), toScheduledS: quantile(toScheduled, 0.5), toReadyS: quantile(toReady, 0.5) };
}

const count = <T extends string>(items: T[]): Record<string, number> =>
  items.reduce<Record<string, number>>((acc, k) => {
    acc[k] = (acc[k] ?? 0) + 1;
    return acc;
  }, {});

export function computeFigures(r: RunRecord): RunFigures {
  const records = r.ids.map((id) => r.records.get(id));
  const final = records.filter((t): t is TaskRecord => t !== undefined && isFinal(t.state));
  const perJob = r.proxy.perJob();
  const intervals = r.proxy.execIntervals();
  const finishedLogs = count(r.logs.filter((e) => e.msg === 'task_finished').map((e) => String(e.taskId)));
  const perTask = r.ids.map(
    (id) => perJob.get(jobNameForTask(id)) ?? { requests: 0, execs: 0, throttled: 0, execsThrottled: 0, jobCreates: 0 },
  );
  const shared = r.proxy.shared();
  const throttled = shared.throttled + perTask.reduce((n, c) => n + c.throttled, 0);
  const waits = final.filter((t) => t.startedAt).map((t) => Date.parse(t.startedAt!) - Date.parse(t.createdAt));
  const ready = r.logs
    .filter((e) => e.msg === 'sandbox_ready' && typeof e.readyMs === 'number')
    .map((e) => e.readyMs as number);
  const finishedTimes = final.map((t) => Date.parse(t.finishedAt ?? t.createdAt));
  const firstCreated = Math.min(...records.filter((t) => t).map((t) => Date.parse(t!.createdAt)));
  const spanMin = (Math.max(...finishedTimes) - firstCreated) / 60_000;
  const mib = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
  const twice = r.ids.filter(
    (id) => overlapsAcrossPods(intervals.get(jobNameForTask(id)) ?? []) || (finishedLogs[id] ?? 0) > 1,
  ).length;
  return {
    name: r.name,
    submitted: r.ids.length,
    finished: final.length,
    lost: r.ids.length - final.length,
    outcomes: count(final.map((t) => (t.state === 'succeeded' ? (t.result?.outcome ?? 'none') : t.state))),
    errors: count(final.filter((t) => t.error).map((t) => t.error!.code)),
    retried: final.filter((t) => t.attempts > 1).length,
    runTwice: twice,
    leaked: r.leaked,
    peakSandboxes: r.peakSandboxes,
    peakPods: r.peakPods,
    peakReady: r.peakReady,
    requestsPerTask: {
      p50: quantile(
        perTask.map((c) => c.requests),
        0.5,
      ),
      p95: quantile(
        perTask.map((c) => c.requests),
        0.95,
      ),
      max: Math.max(...perTask.map((c) => c.requests)),
    },
    execsPerTask: {
      p50: quantile(
        perTask.map((c) => c.execs),
        0.5,
      ),
      max: Math.max(...perTask.map((c) => c.execs)),
    },
    // A request the proxy answered 429 is repeated by the client: the repeat is the one counted.
    overBudget: perTask.filter(
      (c) => c.requests - c.throttled > BUDGET_PER_ATTEMPT * Math.max(1, c.jobCreates) + c.execs - c.execsThrottled,
    ).length,
    sharedPerTask: Math.round((shared.requests / r.ids.length) * 100) / 100,
    sharedKinds: Object.entries(shared.byKind)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, n]) => `${k}=${n}`)
      .join(', '),
    throttled,
    upstreamStatuses: { ...r.proxy.upstreamStatuses() },
    queueWaitMs: { p50: quantile(waits, 0.5), p95: quantile(waits, 0.95) },
    readyMs: { p50: quantile(ready, 0.5), p95: quantile(ready, 0.95) },
    readySteps: readySteps(r.podTimes, r.proxy.jobCreated()),
    rss: {
      idleMiB: mib(r.rss.idle),
      atPeakMiB: mib(r.rss.atPeak),
      perSandboxMiB:
        r.rss.sandboxesAtPeak > 0
          ? Math.round(((r.rss.atPeak - r.rss.idle) / r.rss.sandboxesAtPeak / 1024 / 1024) * 100) / 100
          : NaN,
      sandboxesAtPeak: r.rss.sandboxesAtPeak,
    },
    redisBytesPerTask: final.length > 0 ? Math.round(r.redisBytes / final.length) : NaN,
    throughputPerMin: spanMin > 0 ? Math.round((final.length / spanMin) * 10) / 10 : NaN,
    wallS: Math.round(r.wallMs / 100) / 10,
    faults: r.faults,
    events: count(r.logs.filter((e) => EVENTS.has(String(e.msg))).map(eventKey)),
    eventSamples: Object.fromEntries(
      r.logs
        .filter((e) => EVENTS.has(String(e.msg)))
        .map((e) => [
          eventKey(e),
          String((e.err as { message?: unknown } | undefined)?.message ?? e.reason ?? '').slice(0, 240),
        ]),
    ),
    errorSamples: Object.fromEntries(
      final.filter((t) => t.error).map((t) => [t.error!.code, t.error!.message.slice(0, 240)]),
    ),
  };
}

const fmt = (v: number): string => (Number.isFinite(v) ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : 'n/a');
const ratio = (a: number, b: number): string =>
  Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}x` : a === b ? '=' : '-';
const kv = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || '-';

/** The printed table: one column per run, the last the faulted run / baseline where both are numbers. */
export function formatTable(runs: RunFigures[], settings: { maxConcurrentSandboxes: number }): string {
  const [base, faulted] = runs;
  type Row = [label: string, pick: (f: RunFigures) => number, bound?: string];
  const rows: Row[] = [
    ['tasks submitted', (f) => f.submitted],
    ['tasks finished', (f) => f.finished],
    ['tasks lost', (f) => f.lost, '= 0'],
    ['run twice at once', (f) => f.runTwice, '= 0'],
    [`Jobs leaked after one reaper interval`, (f) => f.leaked, '= 0'],
    ['tasks retried (attempts > 1)', (f) => f.retried],
    ['peak concurrent sandboxes (Jobs held by tasks)', (f) => f.peakSandboxes, `= ${settings.maxConcurrentSandboxes}`],
    ['  peak sandbox pods alive (incl. being torn down)', (f) => f.peakPods],
    ['  peak sandbox pods ready', (f) => f.peakReady],
    ['API requests per task p50', (f) => f.requestsPerTask.p50],
    ['API requests per task p95', (f) => f.requestsPerTask.p95],
    ['API requests per task max', (f) => f.requestsPerTask.max],
    ['  of which execs per task p50', (f) => f.execsPerTask.p50],
    [`tasks over budget (${BUDGET_PER_ATTEMPT}/attempt + 1/exec, 429s aside)`, (f) => f.overBudget, '= 0'],
    ['shared API requests per task', (f) => f.sharedPerTask],
    ['requests answered 429 by the proxy', (f) => f.throttled],
    ['queue wait p50 (s)', (f) => f.queueWaitMs.p50 / 1000],
    ['queue wait p95 (s)', (f) => f.queueWaitMs.p95 / 1000],
    ['Job creation -> ready p50 (ms)', (f) => f.readyMs.p50],
    ['Job creation -> ready p95 (ms)', (f) => f.readyMs.p95],
    ['  p50 Job create -> pod created (s)', (f) => f.readySteps.toPodS],
    ['  p50 pod created -> scheduled (s)', (f) => f.readySteps.toScheduledS],
    ['  p50 pod scheduled -> Ready (s)', (f) => f.readySteps.toReadyS],
    ['worker RSS idle, all workers (MiB)', (f) => f.rss.idleMiB],
    ['worker RSS at peak, all workers (MiB)', (f) => f.rss.atPeakMiB],
    ['worker RSS per concurrent sandbox (MiB)', (f) => f.rss.perSandboxMiB],
    ['Redis memory per finished task (bytes)', (f) => f.redisBytesPerTask],
    ['throughput (tasks/min)', (f) => f.throughputPerMin],
    ['wall time (s)', (f) => f.wallS],
  ];
  const header = ['figure', ...runs.map((r) => r.name), ...(faulted ? ['faulted/baseline'] : []), 'bound'];
  const body = rows.map(([label, pick, bound]) => [
    label,
    ...runs.map((r) => fmt(pick(r))),
    ...(faulted && base ? [ratio(pick(faulted), pick(base))] : []),
    bound ?? '',
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  for (const r of runs) {
    out.push(
      '',
      `${r.name}: outcomes ${kv(r.outcomes)}; errors ${kv(r.errors)}; upstream statuses ${kv(r.upstreamStatuses)}`,
    );
    out.push(`${r.name}: shared requests ${r.sharedKinds || '-'}`);
    out.push(`${r.name}: worker events ${kv(r.events)}`);
    for (const [code, message] of Object.entries(r.errorSamples)) out.push(`${r.name}: error ${code}: ${message}`);
    for (const [key, message] of Object.entries(r.eventSamples))
      if (message) out.push(`${r.name}: e.g. ${key}: ${message}`);
    for (const f of r.faults) out.push(`${r.name}: fault: ${f}`);
  }
  return out.join('\n');
}
