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
import { createTaskLogWriter, type TaskLogWriter } from '../src/result/log-writer.js';
import { createRedactor, type Redactor } from '../src/result/redact.js';
import type { TaskStore } from '../src/result/task-store.js';
import type { FixContext } from '../src/fixer/types.js';
import type { SandboxProvider } from '../src/sandbox/types.js';
import { isFinal, type FixResult, type Outcome, type TaskErrorInfo, type TaskPhase, type TaskSpec } from '../src/task.js';
import type { TaskEnd, TaskHookContext, TaskHooks } from './hooks.js';

export type { TaskEnd, TaskHookContext, TaskHooks, TaskStart } from './hooks.js';

/** The fixer as the worker sees it (src/fixer/pipeline.ts in production). */
export type FixPipeline = (ctx: FixContext) => Promise<FixResult>;

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

  async function finish(attempt: Attempt, end: Pick<TaskEnd, 'state' | 'result' | 'error'>): Promise<void> {
    const { taskId } = attempt;
    let patch = end;
    if (attempt.hookCtx !== undefined && options.hooks?.onFinish !== undefined) {
      const extra = await options.hooks.onFinish(attempt.hookCtx, { ...end, spec: attempt.spec ?? attempt.hookCtx.spec }).catch((err: unknown) => {
        logger.error({ err, taskId }, 'task_hook_finish_failed');
        return undefined;
      });
      if (extra !== undefined && end.result !== null) patch = { ...end, result: { ...end.result, ...extra } };
    }
    // Every log line must land before the final state, or a client could see `done` too early.
    await attempt.log.flush();
    await store.transition(taskId, ['queued', 'running'], { ...patch, phase: null, finishedAt: now() });
    const outcome = patch.state === 'cancelled' ? 'cancelled' : (patch.result?.outcome ?? 'error');
    options.metrics.taskFinished(outcome, (Date.now() - attempt.startedMs) / 1000);
    const fields = patch.result ? { fixers: patch.result.fixers ?? (patch.result.fixer ? [patch.result.fixer] : []), tool: patch.result.diagnosis?.tool ?? null } : {};
    logger.info({ taskId, state: patch.state, outcome, ...fields }, 'task_finished');
  }

  /** Puts the task back on the queue without spending an attempt (shutdown, no capacity). */
  async function requeue(attempt: Attempt, delayMs: number, message: string): Promise<never> {
    attempt.log.write('system', message);
    await attempt.log.flush();
    await store.transition(attempt.taskId, ['running'], { state: 'queued', phase: null });
    if (attempt.token !== undefined) await attempt.job.moveToDelayed(Date.now() + delayMs, attempt.token);
    throw new DelayedError();
  }

  async function processJob(job: Job<TaskJobData>, token: string | undefined, jobSignal?: AbortSignal): Promise<Outcome | 'cancelled'> {
    const controller = new AbortController();
    const onJobAbort = () => controller.abort(new AbortReason('cancel'));
    jobSignal?.addEventListener('abort', onJobAbort, { once: true });
    const attempt = newAttempt(job, token, controller);
    running.set(attempt.taskId, controller);
    try {
      const skipped = await begin(attempt);
      return skipped ?? (await runInSandbox(attempt));
    } catch (err) {
      return await settleFailure(attempt, err);
    } finally {
      clearTimeout(attempt.guard);
      jobSignal?.removeEventListener('abort', onJobAbort);
      running.delete(attempt.taskId);
      await attempt.log.flush();
    }
  }

  function newAttempt(job: Job<TaskJobData>, token: string | undefined, controller: AbortController): Attempt {
    const taskId = job.data.taskId;
    const attempt: Attempt = {
      job,
      token,
      taskId,
      controller,
      startedMs: Date.now(),
      timeoutSeconds: job.data.spec.timeoutSeconds ?? options.tasks.defaultTimeoutSeconds,
      redact,
      log: createTaskLogWriter({ store, taskId, redact: (text) => attempt.redact(text), onError: (err) => logger.warn({ err, taskId }, 'task_log_write_failed') }),
      guard: undefined,
    };
    armGuard(attempt);
    return attempt;
  }

  // The pipeline bounds every command; this guard bounds everything else (sandbox start, hooks).
  function armGuard(attempt: Attempt): void {
    clearTimeout(attempt.guard);
    attempt.guard = setTimeout(() => attempt.controller.abort(new AbortReason('timeout')), (attempt.timeoutSeconds + TIMEOUT_MARGIN_SECONDS) * 1000);
  }

  /** Marks the task running and runs the start hooks; returns a value when the task must not run. */
  async function begin(attempt: Attempt): Promise<'cancelled' | undefined> {
    const { taskId, job } = attempt;
    const record = await store.get(taskId);
    if (record === null || isFinal(record.state)) {
      logger.warn({ taskId, state: record?.state ?? null }, 'task_skipped_not_runnable');
      return 'cancelled';
    }
    // Checked after registering the controller: a cancel published before this point set the flag.
    if (await store.isCancelRequested(taskId)) {
      await finish(attempt, { state: 'cancelled', result: null, error: null });
      return 'cancelled';
    }
    await store.transition(taskId, ['queued', 'running'], {
      state: 'running',
      phase: null,
      incrementAttempts: true,
      ...(record.startedAt === null ? { startedAt: now() } : {}),
    });
    attempt.log.write('system', `attempt ${job.attemptsMade + 1} started`);
    if (options.hooks === undefined) return undefined;
    attempt.hookCtx = { taskId, attempt: job.attemptsMade + 1, spec: job.data.spec, signal: attempt.controller.signal, log: (stream, text) => attempt.log.write(stream, text) };
    const start = await options.hooks.onStart?.(attempt.hookCtx);
    if (start?.secrets !== undefined || start?.gitToken !== undefined) {
      attempt.redact = createRedactor([...baseSecrets, ...(start.secrets ?? []), ...(start.gitToken ? [start.gitToken] : [])]);
    }
    if (start?.gitToken !== undefined) attempt.gitToken = start.gitToken;
    if (start?.spec !== undefined) {
      attempt.spec = start.spec;
      await store.transition(taskId, ['running'], { spec: start.spec });
      if (start.spec.timeoutSeconds !== undefined && start.spec.timeoutSeconds !== attempt.timeoutSeconds) {
        attempt.timeoutSeconds = start.spec.timeoutSeconds;
        armGuard(attempt);
      }
    }
    return undefined;
  }

  /** Sorts a failed attempt into cancelled, requeued, failed for good, or retried by BullMQ. */
  async function settleFailure(attempt: Attempt, err: unknown): Promise<'cancelled'> {
    const { job, log } = attempt;
    const reason = attempt.controller.signal.reason as unknown;
    const kind = reason instanceof AbortReason ? reason.kind : undefined;
    if (kind === 'cancel' || (err instanceof CancelledError && kind === undefined)) {
      log.write('system', 'task cancelled');
      await finish(attempt, { state: 'cancelled', result: null, error: null });
      return 'cancelled';
    }
    if (kind === 'shutdown') return requeue(attempt, 0, 'worker shutting down; task requeued for another worker');
    if (err instanceof CapacityError) {
      return requeue(attempt, err.retryAfterMs, `waiting for capacity: ${attempt.redact(err.message)}; retrying in ${Math.round(err.retryAfterMs / 1000)} s`);
    }
    const taskError =
      kind === 'timeout'
        ? new TaskError('task_timeout', `task exceeded its ${attempt.timeoutSeconds} s budget`)
        : err instanceof TaskError || err instanceof UnrecoverableError
          ? err
          : undefined;
    if (taskError !== undefined) {
      const info = { code: isAppError(taskError) ? taskError.code : 'task_failed', message: attempt.redact(taskError.message) };
      log.write('system', `task failed: ${info.message}`);
      await finish(attempt, { state: 'failed', result: errorResult(), error: info });
      throw new UnrecoverableError(info.message);
    }
    // Infrastructure: BullMQ retries with backoff while attempts remain.
    const info = { code: isAppError(err) ? err.code : 'infrastructure_error', message: attempt.redact(errorMessage(err)) };
    const attempts = job.opts.attempts ?? 1;
    const willRetry = job.attemptsMade + 1 < attempts;
    log.write('system', `attempt ${job.attemptsMade + 1} of ${attempts} failed: ${info.message}${willRetry ? '; retrying' : ''}`);
    if (willRetry) {
      await log.flush();
      await store.transition(attempt.taskId, ['running'], { state: 'queued', phase: null, error: info });
    } else {
      await finish(attempt, { state: 'failed', result: errorResult(), error: info });
    }
    logger.warn({ taskId: attempt.taskId, err, willRetry }, 'task_attempt_failed');
    throw err;
  }

  async function runInSandbox(attempt: Attempt): Promise<Outcome> {
    const { taskId, log, timeoutSeconds } = attempt;
    const signal = attempt.controller.signal;
    const spec = attempt.spec ?? attempt.job.data.spec;
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
      const gitToken = attempt.gitToken ?? options.gitToken;
      const result = await options.pipeline({
        taskId,
        spec: { ...spec, command: spec.command },
        timeoutSeconds,
        sandbox,
        log: (stream, text) => log.write(stream, text),
        setPhase,
        signal,
        ...(gitToken ? { gitToken } : {}),
        patchMaxBytes: options.tasks.patchMaxBytes,
      });
      await setPhase('reporting');
      const fixers = result.fixers && result.fixers.length > 0 ? result.fixers : result.fixer ? [result.fixer] : [];
      log.write('system', `outcome ${result.outcome}${fixers.length > 0 ? ` (${fixers.length > 1 ? 'fixers' : 'fixer'} ${fixers.join(', ')})` : ''}`);
      await finish(attempt, { state: 'succeeded', result: { ...result, patch: attempt.redact(result.patch) }, error: null });
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
        worker = new Worker<TaskJobData>(options.queue.name, (job, token, signal) => processJob(job, token, signal), {
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

/** One attempt at one task: what the steps of the worker share, including what hooks change. */
interface Attempt {
  job: Job<TaskJobData>;
  token: string | undefined;
  taskId: string;
  controller: AbortController;
  startedMs: number;
  timeoutSeconds: number;
  guard: NodeJS.Timeout | undefined;
  log: TaskLogWriter;
  redact: Redactor;
  /** The spec a start hook resolved (e.g. the command from .ci-fixer.yml). */
  spec?: TaskSpec;
  gitToken?: string;
  hookCtx?: TaskHookContext;
}

function errorResult(): FixResult {
  return { outcome: 'error', fixer: null, patch: '', patchTruncated: false, commands: [] };
}
