// The worker process's core: takes fix tasks off the BullMQ queue, runs each in exactly one
// sandbox, and records state, logs and results. Task errors end the task (UnrecoverableError);
// infrastructure errors go back to BullMQ for a retry with backoff; shutdown requeues unfinished
// work without spending an attempt.
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { CancelledError, CapacityError, errorMessage, isAppError, TaskError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import { cancelChannel, type QueueSettings, type TaskJobData } from '../src/queue/task-service.js';
import type { SubscriptionHub } from '../src/queue/subscription-hub.js';
import { createTaskLogWriter } from '../src/result/log-writer.js';
import { createRedactor, type Redactor } from '../src/result/redact.js';
import type { TaskStore } from '../src/result/task-store.js';
import type { FixContext } from '../src/fixer/types.js';
import type { Sandbox, SandboxProvider } from '../src/sandbox/types.js';
import type { FixResult, LogStream, Outcome, QueuedTaskSpec, TaskErrorInfo, TaskPhase, TaskSpec } from '../src/task.js';

/** The fixer as the worker sees it (src/fixer/pipeline.ts in production). */
export type FixPipeline = (ctx: FixContext) => Promise<FixResult>;

/** What a hook sees of one task attempt. */
export interface TaskHookContext {
  taskId: string;
  /** 1 for the first attempt. */
  attempt: number;
  spec: QueuedTaskSpec;
  signal: AbortSignal;
  /** Writes to the task's log (redacted like every other line). */
  log: (stream: LogStream, text: string) => void;
}

export interface TaskStart {
  /** The spec to run (e.g. a command resolved from the repository); recorded in the task. */
  spec?: TaskSpec;
  /** Clone token for this task only, in place of gitToken. */
  gitToken?: string;
  /** More strings to redact from this task's log (per-task tokens). */
  secrets?: string[];
}

export interface TaskEnd {
  state: 'succeeded' | 'failed' | 'cancelled';
  /** The resolved spec when onStart gave one. */
  spec: QueuedTaskSpec;
  result: FixResult | null;
  error: TaskErrorInfo | null;
}

/**
 * Hooks around each task attempt, e.g. reporting to GitHub (src/github/reporter.ts). onStart runs
 * before the sandbox; a TaskError from it fails the task, any other error is retried like an
 * infrastructure error. onFinish runs once the final state is known, before it is written, and
 * returns fields kept with the result; it never decides the task's outcome.
 */
export interface TaskHooks {
  onStart?(ctx: TaskHookContext): Promise<TaskStart | undefined>;
  onFinish?(ctx: TaskHookContext, end: TaskEnd): Promise<Partial<FixResult> | undefined>;
}

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
  hooks?: TaskHooks;
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
  const baseSecrets = [...options.secrets, ...(options.gitToken ? [options.gitToken] : [])];
  const redact = createRedactor(baseSecrets);
  const running = new Map<string, AbortController>();
  let worker: Worker<TaskJobData> | undefined;
  let unsubscribeCancel: (() => Promise<void>) | undefined;
  let startPromise: Promise<void> | undefined;
  let stopPromise: Promise<void> | undefined;

  const now = () => new Date().toISOString();

  async function finish(
    taskId: string,
    startedMs: number,
    patch: { state: 'succeeded' | 'failed' | 'cancelled'; result: FixResult | null; error: { code: string; message: string } | null },
    attempt?: Attempt,
  ) {
    if (attempt?.hookCtx !== undefined && options.hooks?.onFinish !== undefined) {
      const end = { ...patch, spec: attempt.spec ?? attempt.hookCtx.spec };
      const extra = await options.hooks.onFinish(attempt.hookCtx, end).catch((err: unknown) => {
        logger.error({ err, taskId }, 'task_hook_finish_failed');
        return undefined;
      });
      if (extra !== undefined && patch.result !== null) patch = { ...patch, result: { ...patch.result, ...extra } };
      // The hook's log lines must land before the final state, or a client could see `done` too early.
      await attempt.flushLog();
    }
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
    const attempt: Attempt = { redact, flushLog: () => log.flush() };
    const log = createTaskLogWriter({ store, taskId, redact: (text) => attempt.redact(text), onError: (err) => logger.warn({ err, taskId }, 'task_log_write_failed') });
    let timeoutSeconds = job.data.spec.timeoutSeconds ?? options.tasks.defaultTimeoutSeconds;
    const armGuard = () => setTimeout(() => controller.abort(new AbortReason('timeout')), (timeoutSeconds + TIMEOUT_MARGIN_SECONDS) * 1000);
    let guard = armGuard();
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
      if (options.hooks !== undefined) {
        attempt.hookCtx = { taskId, attempt: job.attemptsMade + 1, spec: job.data.spec, signal: controller.signal, log: (stream, text) => log.write(stream, text) };
        const start = await options.hooks.onStart?.(attempt.hookCtx);
        if (start?.secrets !== undefined || start?.gitToken !== undefined) {
          attempt.redact = createRedactor([...baseSecrets, ...(start.secrets ?? []), ...(start.gitToken ? [start.gitToken] : [])]);
        }
        if (start?.gitToken !== undefined) attempt.gitToken = start.gitToken;
        if (start?.spec !== undefined) {
          attempt.spec = start.spec;
          await store.transition(taskId, ['running'], { spec: start.spec });
          if (start.spec.timeoutSeconds !== undefined && start.spec.timeoutSeconds !== timeoutSeconds) {
            timeoutSeconds = start.spec.timeoutSeconds;
            clearTimeout(guard);
            guard = armGuard();
          }
        }
      }
      return await runInSandbox(job, taskId, timeoutSeconds, controller.signal, log, startedMs, attempt);
    } catch (err) {
      const reason = controller.signal.reason as unknown;
      const kind = reason instanceof AbortReason ? reason.kind : undefined;
      await log.flush();
      if (kind === 'cancel' || (err instanceof CancelledError && kind === undefined)) {
        log.write('system', 'task cancelled');
        await log.flush();
        await finish(taskId, startedMs, { state: 'cancelled', result: null, error: null }, attempt);
        return 'cancelled';
      }
      if (kind === 'shutdown') {
        log.write('system', 'worker shutting down; task requeued for another worker');
        await log.flush();
        await store.transition(taskId, ['running'], { state: 'queued', phase: null });
        if (token !== undefined) await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (err instanceof CapacityError && token !== undefined) {
        log.write('system', `waiting for capacity: ${attempt.redact(err.message)}; retrying in ${Math.round(err.retryAfterMs / 1000)} s`);
        await log.flush();
        await store.transition(taskId, ['running'], { state: 'queued', phase: null });
        await job.moveToDelayed(Date.now() + err.retryAfterMs, token);
        throw new DelayedError();
      }
      const taskError =
        kind === 'timeout'
          ? new TaskError('task_timeout', `task exceeded its ${timeoutSeconds} s budget`)
          : err instanceof TaskError || err instanceof UnrecoverableError
            ? err
            : undefined;
      if (taskError !== undefined) {
        const info = { code: isAppError(taskError) ? taskError.code : 'task_failed', message: attempt.redact(taskError.message) };
        log.write('system', `task failed: ${info.message}`);
        await log.flush();
        await finish(taskId, startedMs, { state: 'failed', result: errorResult(), error: info }, attempt);
        throw new UnrecoverableError(info.message);
      }
      // Infrastructure: BullMQ retries with backoff while attempts remain.
      const info = { code: isAppError(err) ? err.code : 'infrastructure_error', message: attempt.redact(errorMessage(err)) };
      const attempts = job.opts.attempts ?? 1;
      const willRetry = job.attemptsMade + 1 < attempts;
      log.write('system', `attempt ${job.attemptsMade + 1} of ${attempts} failed: ${info.message}${willRetry ? '; retrying' : ''}`);
      await log.flush();
      if (willRetry) await store.transition(taskId, ['running'], { state: 'queued', phase: null, error: info });
      else await finish(taskId, startedMs, { state: 'failed', result: errorResult(), error: info }, attempt);
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
    attempt: Attempt,
  ): Promise<Outcome> {
    const spec = attempt.spec ?? job.data.spec;
    if (spec.command === undefined) throw new TaskError('command_unresolved', 'the task has no command and nothing resolved one');
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
        spec: { ...spec, command: spec.command },
        timeoutSeconds,
        sandbox,
        log: (stream, text) => log.write(stream, text),
        setPhase,
        signal,
        ...(attempt.gitToken ?? options.gitToken ? { gitToken: attempt.gitToken ?? options.gitToken } : {}),
        patchMaxBytes: options.tasks.patchMaxBytes,
      });
      await setPhase('reporting');
      log.write('system', `outcome ${result.outcome}${result.fixer ? ` (fixer ${result.fixer})` : ''}`);
      await log.flush();
      await finish(taskId, startedMs, { state: 'succeeded', result: { ...result, patch: attempt.redact(result.patch) }, error: null }, attempt);
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

/** Per-attempt state that hooks may change: the resolved spec, a per-task token, its redactor. */
interface Attempt {
  redact: Redactor;
  flushLog: () => Promise<void>;
  spec?: TaskSpec;
  gitToken?: string;
  hookCtx?: TaskHookContext;
}

function errorResult(): FixResult {
  return { outcome: 'error', fixer: null, patch: '', patchTruncated: false, commands: [] };
}
