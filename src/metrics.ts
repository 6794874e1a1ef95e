// Prometheus metrics of one process, on a registry of its own so tests and the API/worker pair in
// `all` mode never collide on the global default registry.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ScalingFigure } from './queue/scaling.js';
import type { QueueCounts } from './queue/types.js';
import { withTimeout } from './timeout.js';

export type QueueCountsSource = () => Promise<QueueCounts>;
export interface ScalingSource {
  /** BullMQ queue name, the gauge's `queue` label. */
  queue: string;
  read: () => Promise<ScalingFigure>;
}

export interface MetricsOptions {
  /** Longest wait for the queue counts during a scrape; /metrics must answer when Redis does not. */
  collectTimeoutMs?: number;
  /** Called when the queue counts could not be read; the scrape goes on without them. */
  onCollectError?: (err: unknown) => void;
}

export interface Metrics {
  registry: Registry;
  queueDepth: Gauge<'state'>;
  queueDemand: Gauge<'queue'>;
  tasksFinished: Counter<'outcome'>;
  taskDuration: Histogram<'outcome'>;
  sandboxReady: Histogram<'driver'>;
  webhookIgnored: Counter<'reason'>;
  taskWritesRefused: Counter<'reason'>;
  /** HTTP attempts to the model endpoint (retries included), by status: "200", "429", "error", "aborted". */
  modelRequests: Counter<'status'>;
  modelTokens: Counter<'kind'>;
  /** Tasks that ended `fixed`, by each fixer whose change was kept. */
  fixes: Counter<'fixer'>;
  /** Where queueDepth reads its numbers at scrape time; null detaches it. */
  setQueueCountsSource(source: QueueCountsSource | null): void;
  /** Where queueDemand (the autoscaling figure) reads at scrape time; null detaches it. */
  setScalingSource(source: ScalingSource | null): void;
}

const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600];
const SANDBOX_READY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const collectTimeoutMs = options.collectTimeoutMs ?? 1000;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let countsSource: QueueCountsSource | null = null;
  let scalingSource: ScalingSource | null = null;

  const queueDepth = new Gauge({
    name: 'ci_fixer_queue_depth',
    help: 'Tasks in the queue by BullMQ state, read at scrape time.',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      if (countsSource === null) return;
      try {
        const counts = await withTimeout(countsSource(), collectTimeoutMs, 'queue counts');
        for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
      } catch (err) {
        // Stale numbers would look healthy; an absent series makes the outage visible.
        this.reset();
        options.onCollectError?.(err);
      }
    },
  });

  const queueDemand = new Gauge({
    name: 'ci_fixer_queue_demand',
    help: 'The autoscaling figure: waiting + prioritized + due delayed + active tasks (the same number as GET /scaling).',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      if (scalingSource === null) return;
      const { queue, read } = scalingSource;
      try {
        this.set({ queue }, (await withTimeout(read(), collectTimeoutMs, 'scaling figure')).demand);
      } catch (err) {
        // Labelled, so a reset leaves no series: a 0 would read as "scale to zero" during an outage.
        this.reset();
        options.onCollectError?.(err);
      }
    },
  });

  return {
    registry,
    queueDepth,
    queueDemand,
    tasksFinished: new Counter({
      name: 'ci_fixer_tasks_finished_total',
      help: 'Tasks that reached a final state, by outcome.',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    taskDuration: new Histogram({
      name: 'ci_fixer_task_duration_seconds',
      help: 'Time from a task starting to run until it finished, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    sandboxReady: new Histogram({
      name: 'ci_fixer_sandbox_ready_seconds',
      help: 'Time from requesting a sandbox until it accepted commands, by driver.',
      labelNames: ['driver'] as const,
      buckets: SANDBOX_READY_BUCKETS,
      registers: [registry],
    }),
    webhookIgnored: new Counter({
      name: 'ci_fixer_webhook_ignored_total',
      help: 'Webhook deliveries that did not become a task, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    taskWritesRefused: new Counter({
      name: 'ci_fixer_task_writes_refused_total',
      help: 'Task state writes a worker made that were refused: fenced (a newer attempt owns the task), state (the task moved on), missing.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    modelRequests: new Counter({
      name: 'ci_fixer_model_requests_total',
      help: 'HTTP requests to the model endpoint, retries included, by status (HTTP code, error, aborted).',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    modelTokens: new Counter({
      name: 'ci_fixer_model_tokens_total',
      help: 'Tokens used by the model fixer, by kind (prompt, completion).',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    fixes: new Counter({
      name: 'ci_fixer_fixes_total',
      help: 'Tasks that ended fixed, by each fixer whose change was kept.',
      labelNames: ['fixer'] as const,
      registers: [registry],
    }),
    setQueueCountsSource(source) {
      countsSource = source;
    },
    setScalingSource(source) {
      scalingSource = source;
    },
  };
}
