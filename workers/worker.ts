// The worker process's core: takes fix tasks off the BullMQ queue, runs each in exactly one
// sandbox, and records state, logs and results. Task errors end the task (UnrecoverableError);
// infrastructure errors go back to BullMQ for a retry with backoff; shutdown requeues unfinished
// work without spending an attempt.
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { CancelledError, errorMessage, isAppError, TaskError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import { cancelChannel, type QueueSettings, type TaskJobData } from '../src/queue/task-service.js';
import type { SubscriptionHub } from '../src/queue/subscription-hub.js';
import { createTaskLogWriter } from '../src/result/log-writer.js';
import { createRedactor } from '../src/result/redact.js';
import type { TaskStore } from '../src/result/task-store.js';
import type { Sandbox, SandboxProvider } from '../src/sandbox/types.js';
import type { FixResult, LogStream, Outcome, TaskPhase, TaskSpec } from '../src/task.js';

/** The fixer as the worker sees it (src/fixer/pipeline.ts in production; anything alike in tests). */
export type FixPipeline = (ctx: {
  taskId: string;
  spec: TaskSpec;
  timeoutSeconds: number;
  sandbox: Sandbox;
  log: (stream: LogStream, text: string) => void;
  setPhase: (phase: TaskPhase) => Promise<void>;
  signal: AbortSignal;
  gitToken?: string;
  patchMaxBytes: number;
}) => Promise<FixResult>;

export interface WorkerMetrics {
  taskFinished(outcome: Outcome | 'cancelled', seconds: number): void;
  sandboxReady(driver: string, seconds: number): void;
}

export interface FixWorkerOptions {
  queue: QueueSettings;
  worker: { concurrency: number; maxConcurrentSandboxes: number; drainSeconds: number; lockMs: number; stalledIntervalMs: number };
  tasks: { defaultTimeoutSeconds: number; patchMaxBytes: number };
  /** BullMQ duplicates this for its blocking connection; it must have maxRetriesPerRequest: null. */
  connection: Redis;
  store: TaskStore;
  hub: SubscriptionHub;
  sandboxes: SandboxProvider;
  pipeline: FixPipeline;
  metrics: WorkerMetrics;
  logger: Logger;
  secrets: string[];
  gitToken?: string;
}

export interface FixWorker {
  start(): Promise<void>;
  /** Stops taking tasks, lets active ones finish for drainSeconds, then requeues the rest. */
  stop(): Promise<void>;
  activeTaskIds(): string[];
}

type AbortKind = 'cancel' | 'shutdown' | 'timeout';
class AbortReason extends Error {
  constructor(readonly kind: AbortKind) {
    super(`task aborted: ${kind}`);
  }
}

const TIMEOUT_MARGIN_SECONDS = 60;

export function createFixWorker(options: FixWorkerOptions): FixWorker {
  const { store, logger } = options;
  const redact = createRedactor([...options.secrets, ...(options.gitToken ? [options.gitToken] : [])]);
  const running = new Map<string, AbortController>();
  let worker: Worker<TaskJobData> | undefined;
  let unsubscribeCancel: (() => Promise<void>) | undefined;
  let startPromise: Promise<void> | undefined;
  let stopPromise: Promise<void> | undefined;

  const now = () => new Date().toISOString();

  async function finish(taskId: string, startedMs: number, patch: { state: 'succeeded' | 'failed' | 'cancelled'; result: FixResult | null; error: { code: string; message: string } | null }) {
    await store.transition(taskId, ['queued', 'running'], { ...patch, phase: null, finishedAt: now() });
    const outcome = patch.state === 'cancelled' ? 'cancelled' : (patch.result?.outcome ?? 'error');
    options.metrics.taskFinished(outcome, (Date.now() - startedMs) / 1000);
    logger.info({ taskId, state: patch.state, outcome }, 'task_finished');
  }

  async function process(job: Job<TaskJobData>, token: string | undefined, jobSignal?: AbortSignal): Promise<Outcome | 'cancelled'> {
    const taskId = job.data.taskId;
    const startedMs = Date.now();
    const controller = new AbortController();
    running.set(taskId, controller);
    const onJobAbort = () => controller.abort(new AbortReason('cancel'));
    jobSignal?.addEventListener('abort', onJobAbort, { once: true });
    const log = createTaskLogWriter({ store, taskId, redact, onError: (err) => logger.warn({ err, taskId }, 'task_log_write_failed') });
    const timeoutSeconds = job.data.spec.timeoutSeconds ?? options.tasks.defaultTimeoutSeconds;
    const guard = setTimeout(() => controller.abort(new AbortReason('timeout')), (timeoutSeconds + TIMEOUT_MARGIN_SECONDS) * 1000);
    try {
      const record = await store.get(taskId);
      if (record === null || record.state === 'succeeded' || record.state === 'failed' || record.state === 'cancelled') {
        logger.warn({ taskId, state: record?.state ?? null }, 'task_skipped_not_runnable');
        return 'cancelled';
      }
      // Checked after registering the controller: a cancel published before this point set the flag.
      if (await store.isCancelRequested(taskId)) {
        await finish(taskId, startedMs, { state: 'cancelled', result: null, error: null });
        return 'cancelled';
      }
      await store.transition(taskId, ['queued', 'running'], {
        state: 'running',
        phase: null,
        incrementAttempts: true,
        ...(record.startedAt === null ? { startedAt: now() } : {}),
      });
      log.write('system', `attempt ${job.attemptsMade + 1} started`);
      return await runInSandbox(job, taskId, timeoutSeconds, controller.signal, log, startedMs);
    } catch (err) {
      const reason = controller.signal.reason as unknown;
      const kind = reason instanceof AbortReason ? reason.kind : undefined;
      await log.flush();
      if (kind === 'cancel' || (err instanceof CancelledError && kind === undefined)) {
        log.write('system', 'task cancelled');
        await log.flush();
        await finish(taskId, startedMs, { state: 'cancelled', result: null, error: null });
        return 'cancelled';
      }
      if (kind === 'shutdown') {
        log.write('system', 'worker shutting down; task requeued for another worker');
        await log.flush();
        await store.transition(taskId, ['running'], { state: 'queued', phase: null });
        if (token !== undefined) await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      const taskError =
        kind === 'timeout'
          ? new TaskError('task_timeout', `task exceeded its ${timeoutSeconds} s budget`)
          : err instanceof TaskError || err instanceof UnrecoverableError
            ? err
            : undefined;
      if (taskError !== undefined) {
        const info = { code: isAppError(taskError) ? taskError.code : 'task_failed', message: redact(taskError.message) };
        log.write('system', `task failed: ${info.message}`);
        await log.flush();
        await finish(taskId, startedMs, { state: 'failed', result: errorResult(), error: info });
        throw new UnrecoverableError(info.message);
      }
      // Infrastructure: BullMQ retries with backoff while attempts remain.
      const info = { code: isAppError(err) ? err.code : 'infrastructure_error', message: redact(errorMessage(err)) };
      const attempts = job.opts.attempts ?? 1;
      const willRetry = job.attemptsMade + 1 < attempts;
      log.write('system', `attempt ${job.attemptsMade + 1} of ${attempts} failed: ${info.message}${willRetry ? '; retrying' : ''}`);
      await log.flush();
      if (willRetry) await store.transition(taskId, ['running'], { state: 'queued', phase: null, error: info });
      else await finish(taskId, startedMs, { state: 'failed', result: errorResult(), error: info });
      logger.warn({ taskId, err, willRetry }, 'task_attempt_failed');
      throw err;
    } finally {
      clearTimeout(guard);
      jobSignal?.removeEventListener('abort', onJobAbort);
      running.delete(taskId);
      await log.flush();
    }
  }

  async function runInSandbox(
    job: Job<TaskJobData>,
    taskId: string,
    timeoutSeconds: number,
    signal: AbortSignal,
    log: ReturnType<typeof createTaskLogWriter>,
    startedMs: number,
  ): Promise<Outcome> {
    const createdMs = Date.now();
    const sandbox = await options.sandboxes.create({ taskId, timeoutSeconds, signal });
    try {
      options.metrics.sandboxReady(options.sandboxes.kind, (Date.now() - createdMs) / 1000);
      log.write('system', `sandbox ready (${options.sandboxes.kind})`);
      const setPhase = async (phase: TaskPhase) => {
        await log.flush();
        await store.transition(taskId, ['running'], { phase });
        log.write('system', `phase ${phase}`);
      };
      const result = await options.pipeline({
        taskId,
        spec: job.data.spec,
        timeoutSeconds,
        sandbox,
        log: (stream, text) => log.write(stream, text),
        setPhase,
        signal,
        ...(options.gitToken ? { gitToken: options.gitToken } : {}),
        patchMaxBytes: options.tasks.patchMaxBytes,
      });
      await setPhase('reporting');
      log.write('system', `outcome ${result.outcome}${result.fixer ? ` (fixer ${result.fixer})` : ''}`);
      await log.flush();
      await finish(taskId, startedMs, { state: 'succeeded', result: { ...result, patch: redact(result.patch) }, error: null });
      return result.outcome;
    } finally {
      // Exactly one sandbox per task, always released, whatever happened above.
      await sandbox.dispose().catch((err: unknown) => logger.error({ err, taskId }, 'sandbox_dispose_failed'));
    }
  }

  return {
    start() {
      startPromise ??= (async () => {
        await options.sandboxes.start();
        unsubscribeCancel = await options.hub.subscribe(cancelChannel(options.queue.prefix), (taskId) => {
          const controller = running.get(taskId);
          if (controller !== undefined && !controller.signal.aborted) {
            logger.info({ taskId }, 'task_cancel_received');
            controller.abort(new AbortReason('cancel'));
          }
        });
        worker = new Worker<TaskJobData>(options.queue.name, (job, token, signal) => process(job, token, signal), {
          connection: options.connection,
          prefix: options.queue.prefix,
          concurrency: options.worker.concurrency,
          lockDuration: options.worker.lockMs,
          stalledInterval: options.worker.stalledIntervalMs,
          maxStalledCount: 1,
          removeOnComplete: { age: options.queue.retentionSeconds },
          removeOnFail: { age: options.queue.retentionSeconds },
          autorun: false,
        });
        worker.on('error', (err) => logger.error({ err }, 'worker_error'));
        await worker.waitUntilReady();
        // The cluster-wide cap lives on the queue, so every worker sees the same limit.
        const queue = new Queue(options.queue.name, { connection: options.connection, prefix: options.queue.prefix });
        try {
          await queue.setGlobalConcurrency(options.worker.maxConcurrentSandboxes);
        } finally {
          await queue.close();
        }
        void worker.run();
        logger.info({ concurrency: options.worker.concurrency, maxConcurrentSandboxes: options.worker.maxConcurrentSandboxes, driver: options.sandboxes.kind }, 'worker_started');
      })();
      return startPromise;
    },
    stop() {
      stopPromise ??= (async () => {
        await startPromise?.catch(() => undefined);
        if (worker !== undefined) {
          const active = [...running.keys()];
          logger.info({ active: active.length, drainSeconds: options.worker.drainSeconds }, 'worker_draining');
          const drain = setTimeout(() => {
            for (const [taskId, controller] of running) {
              logger.warn({ taskId }, 'task_requeued_on_shutdown');
              controller.abort(new AbortReason('shutdown'));
            }
          }, options.worker.drainSeconds * 1000);
          try {
            await worker.close();
          } finally {
            clearTimeout(drain);
          }
        }
        await unsubscribeCancel?.();
        await options.sandboxes.stop();
        logger.info('worker_stopped');
      })();
      return stopPromise;
    },
    activeTaskIds: () => [...running.keys()],
  };
}

function errorResult(): FixResult {
  return { outcome: 'error', fixer: null, patch: '', patchTruncated: false, commands: [] };
}
