// The worker process's core: takes fix tasks off the BullMQ queue, runs each in exactly one
// sandbox, and records state, logs and results. Task errors end the task (UnrecoverableError);
// infrastructure errors go back to BullMQ for a retry with backoff; shutdown requeues unfinished
// work without spending an attempt. Every state write of an attempt is fenced by the attempt's
// owner id, so a worker that lost its job to a newer attempt can never overwrite that attempt.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { CancelledError, CapacityError, errorMessage, isAppError, TaskError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import { cancelChannel, type QueueSettings, type TaskJobData } from '../src/queue/task-service.js';
import type { SubscriptionHub } from '../src/queue/subscription-hub.js';
import { createTaskLogWriter, type TaskLogWriter } from '../src/result/log-writer.js';
import { createRedactor, type Redactor } from '../src/shared/redact.js';
import type { TaskStore, TransitionOutcome, TransitionPatch } from '../src/result/task-store.js';
import { tokenFor, type ScopedToken } from '../src/fixer/git.js';
import type { FixAgent, FixContext } from '../src/fixer/types.js';
import type { SandboxProvider } from '../src/sandbox/types.js';
import type { Sandbox, SandboxRole } from '../src/sandbox/types.js';
import {
  isFinal,
  type Diagnosis,
  type FixerName,
  type FixResult,
  type Outcome,
  type TaskErrorInfo,
  type TaskPhase,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
} from '../src/task.js';
import type { TaskEnd, TaskHookContext, TaskHooks } from '../src/task-hooks.js';

export type { TaskEnd, TaskHookContext, TaskHooks, TaskStart } from '../src/task-hooks.js';

/** The fixer as the worker sees it (src/fixer/pipeline.ts in production). */
export type FixPipeline = (ctx: FixContext) => Promise<FixResult>;

export interface WorkerMetrics {
  taskFinished(outcome: Outcome | 'cancelled', seconds: number): void;
  sandboxReady(driver: string, seconds: number): void;
  /** A state write that was not applied (see TransitionOutcome.refused). */
  writeRefused(reason: NonNullable<TransitionOutcome['refused']>): void;
  /** A task ended `fixed`; `fixers` are the kept ones, in order. */
  taskFixed?(fixers: FixerName[]): void;
}

export interface FixWorkerOptions {
  queue: QueueSettings;
  worker: {
    concurrency: number;
    maxConcurrentSandboxes: number;
    drainSeconds: number;
    lockMs: number;
    stalledIntervalMs: number;
    /** Longest total wait for sandbox capacity (a full quota) before the task fails (default 1800). */
    capacityWaitMaxSeconds?: number;
  };
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
  /** GIT_TOKEN and GIT_TOKEN_HOSTS: the clone token, sent only to repositories on those hosts. */
  gitToken?: ScopedToken;
  /** GIT_CA_FILE's PEM text: extra CAs the sandbox's clone trusts (src/fixer/git-ca.ts). */
  gitCaBundle?: string;
  hooks?: TaskHooks;
  /** The model-backed fixer (src/fixer/agent/), when LLM_BASE_URL configures one. */
  agent?: FixAgent;
}

export interface FixWorker {
  start(): Promise<void>;
  /** Stops taking tasks, lets active ones finish for drainSeconds, then requeues the rest. */
  stop(): Promise<void>;
  activeTaskIds(): string[];
}

/** superseded: a newer attempt owns the task (this worker lost its job lock). */
type AbortKind = 'cancel' | 'shutdown' | 'timeout' | 'superseded';
class AbortReason extends Error {
  constructor(readonly kind: AbortKind) {
    super(`task aborted: ${kind}`);
  }
}

const TIMEOUT_MARGIN_SECONDS = 60;
/** BullMQ fails a job whose lock lapsed more than this many times, without our processor running. */
const MAX_STALLED_COUNT = 1;
export const DEFAULT_CAPACITY_WAIT_MAX_SECONDS = 1800;

export function createFixWorker(options: FixWorkerOptions): FixWorker {
  const { store, logger } = options;
  const baseSecrets = [...options.secrets, ...(options.gitToken ? [options.gitToken.token] : [])];
  const redact = createRedactor(baseSecrets);
  const running = new Map<string, AbortController>();
  let worker: Worker<TaskJobData> | undefined;
  let unsubscribeCancel: (() => Promise<void>) | undefined;
  let startPromise: Promise<void> | undefined;
  let stopPromise: Promise<void> | undefined;

  const now = () => new Date().toISOString();

  /**
   * Every state write of an attempt goes through here: fenced once the attempt owns the record,
   * and a refused write is logged and counted rather than silently lost.
   */
  async function write(
    attempt: Attempt,
    from: readonly TaskState[],
    patch: TransitionPatch,
  ): Promise<TransitionOutcome> {
    const outcome = await store.transition(attempt.taskId, from, patch, attempt.owned ? attempt.owner : undefined);
    if (!outcome.applied) {
      const reason = outcome.refused ?? 'state';
      logger.warn(
        {
          taskId: attempt.taskId,
          reason,
          state: outcome.previous,
          wanted: patch.state ?? null,
          phase: patch.phase ?? null,
        },
        'task_write_refused',
      );
      options.metrics.writeRefused(reason);
      if (reason === 'fenced' && !attempt.controller.signal.aborted)
        attempt.controller.abort(new AbortReason('superseded'));
    }
    return outcome;
  }

  async function finish(attempt: Attempt, end: Pick<TaskEnd, 'state' | 'result' | 'error'>): Promise<void> {
    const { taskId } = attempt;
    // Redacted before the finish hook too: what it reports (a check run's diagnosis and commands)
    // leaves for GitHub.
    let patch = redactEnd(end, attempt.redact);
    if (attempt.hookCtx !== undefined && options.hooks?.onFinish !== undefined) {
      const extra = await options.hooks
        .onFinish(attempt.hookCtx, { ...patch, spec: attempt.spec ?? attempt.hookCtx.spec })
        .catch((err: unknown) => {
          logger.error({ err, taskId }, 'task_hook_finish_failed');
          return undefined;
        });
      if (extra !== undefined && patch.result !== null) patch = { ...patch, result: { ...patch.result, ...extra } };
    }
    // The hook's own fields (a GitHub error) can echo a secret as well.
    patch = redactEnd(patch, attempt.redact);
    // Every log line must land before the final state, or a client could see `done` too early.
    await attempt.log.flush();
    if (!(await write(attempt, ['queued', 'running'], { ...patch, phase: null, finishedAt: now() })).applied) return;
    const outcome = patch.state === 'cancelled' ? 'cancelled' : (patch.result?.outcome ?? 'error');
    options.metrics.taskFinished(outcome, (Date.now() - attempt.startedMs) / 1000);
    const fields = patch.result
      ? {
          fixers: patch.result.fixers ?? (patch.result.fixer ? [patch.result.fixer] : []),
          tool: patch.result.diagnosis?.tool ?? null,
        }
      : {};
    logger.info({ taskId, state: patch.state, outcome, ...fields }, 'task_finished');
  }

  /** Puts the task back on the queue without spending an attempt (shutdown, no capacity). */
  async function requeue(attempt: Attempt, delayMs: number, message: string): Promise<never> {
    attempt.log.write('system', message);
    await attempt.log.flush();
    await write(attempt, ['running'], { state: 'queued', phase: null });
    if (attempt.token !== undefined) await attempt.job.moveToDelayed(Date.now() + delayMs, attempt.token);
    throw new DelayedError();
  }

  async function processJob(
    job: Job<TaskJobData>,
    token: string | undefined,
    jobSignal?: AbortSignal,
  ): Promise<Outcome | 'cancelled'> {
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
      owner: randomUUID(),
      owned: false,
      log: createTaskLogWriter({
        store,
        taskId,
        redact: (text) => attempt.redact(text),
        onError: (err) => logger.warn({ err, taskId }, 'task_log_write_failed'),
      }),
      guard: undefined,
    };
    armGuard(attempt);
    return attempt;
  }

  // The pipeline bounds every command; this guard bounds everything else (sandbox start, hooks).
  function armGuard(attempt: Attempt): void {
    clearTimeout(attempt.guard);
    attempt.guard = setTimeout(
      () => attempt.controller.abort(new AbortReason('timeout')),
      (attempt.timeoutSeconds + TIMEOUT_MARGIN_SECONDS) * 1000,
    );
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
    const taken = await write(attempt, ['queued', 'running'], {
      state: 'running',
      phase: null,
      incrementAttempts: true,
      owner: attempt.owner,
      ...(record.startedAt === null ? { startedAt: now() } : {}),
    });
    if (!taken.applied) return 'cancelled';
    attempt.owned = true;
    attempt.cloneWithGitToken = mayCloneWithGitToken(record);
    attempt.log.write('system', `attempt ${job.attemptsMade + 1} started`);
    if (options.hooks === undefined) return undefined;
    attempt.hookCtx = {
      taskId,
      attempt: job.attemptsMade + 1,
      spec: job.data.spec,
      signal: attempt.controller.signal,
      log: (stream, text) => attempt.log.write(stream, text),
    };
    const start = await options.hooks.onStart?.(attempt.hookCtx);
    if (start?.secrets !== undefined || start?.gitToken !== undefined) {
      attempt.redact = createRedactor([
        ...baseSecrets,
        ...(start.secrets ?? []),
        ...(start.gitToken ? [start.gitToken] : []),
      ]);
    }
    if (start?.gitToken !== undefined) attempt.gitToken = start.gitToken;
    if (start?.spec !== undefined) {
      attempt.spec = start.spec;
      await write(attempt, ['running'], { spec: start.spec });
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
    if (kind === 'superseded') {
      // The newer attempt owns the record; anything written from here would be refused anyway.
      logger.warn({ taskId: attempt.taskId }, 'task_attempt_superseded');
      throw new UnrecoverableError('superseded by a newer attempt');
    }
    if (kind === 'shutdown') return requeue(attempt, 0, 'worker shutting down; task requeued for another worker');
    const taskError =
      kind === 'timeout'
        ? new TaskError('task_timeout', `task exceeded its ${attempt.timeoutSeconds} s budget`)
        : err instanceof TaskError || err instanceof UnrecoverableError
          ? err
          : undefined;
    if (taskError !== undefined) {
      const info = {
        code: isAppError(taskError) ? taskError.code : 'task_failed',
        message: attempt.redact(taskError.message),
      };
      log.write('system', `task failed: ${info.message}`);
      await finish(attempt, { state: 'failed', result: errorResult(), error: info });
      throw new UnrecoverableError(info.message);
    }
    // Infrastructure: BullMQ retries with backoff while attempts remain.
    const info = {
      code: isAppError(err) ? err.code : 'infrastructure_error',
      message: attempt.redact(errorMessage(err)),
    };
    const attempts = job.opts.attempts ?? 1;
    const willRetry = job.attemptsMade + 1 < attempts;
    log.write(
      'system',
      `attempt ${job.attemptsMade + 1} of ${attempts} failed: ${info.message}${willRetry ? '; retrying' : ''}`,
    );
    if (willRetry) {
      await log.flush();
      await write(attempt, ['running'], { state: 'queued', phase: null, error: info });
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
    if (spec.command === undefined)
      throw new TaskError('command_unresolved', 'the task has no command and nothing resolved one');
    const createdMs = Date.now();
    const sandbox = await createSandbox(attempt);
    try {
      options.metrics.sandboxReady(options.sandboxes.kind, (Date.now() - createdMs) / 1000);
      log.write('system', `sandbox ready (${options.sandboxes.kind})`);
      const setPhase = async (phase: TaskPhase) => {
        await log.flush();
        await write(attempt, ['running'], { phase });
        signal.throwIfAborted();
        log.write('system', `phase ${phase}`);
      };
      const gitToken =
        attempt.gitToken ?? (attempt.cloneWithGitToken ? tokenFor(spec.repo.url, options.gitToken) : undefined);
      const result = await options.pipeline({
        taskId,
        spec: { ...spec, command: spec.command },
        timeoutSeconds,
        sandbox,
        log: (stream, text) => log.write(stream, text),
        setPhase,
        signal,
        ...(gitToken ? { gitToken } : {}),
        ...(options.gitCaBundle ? { gitCaBundle: options.gitCaBundle } : {}),
        patchMaxBytes: options.tasks.patchMaxBytes,
        ...(options.agent ? { agent: options.agent } : {}),
        // The proof's fresh sandbox: a second one of this task from the same provider, waiting for
        // capacity like the first (the work sandbox still holds its own meanwhile).
        createProofSandbox: () => createSandbox(attempt, 'proof'),
      });
      if (result.outcome === 'fixed')
        options.metrics.taskFixed?.(result.fixers?.length ? result.fixers : result.fixer ? [result.fixer] : []);
      await setPhase('reporting');
      const fixers = result.fixers && result.fixers.length > 0 ? result.fixers : result.fixer ? [result.fixer] : [];
      log.write(
        'system',
        `outcome ${result.outcome}${fixers.length > 0 ? ` (${fixers.length > 1 ? 'fixers' : 'fixer'} ${fixers.join(', ')})` : ''}`,
      );
      const patch = attempt.redact(result.patch);
      if (patch !== result.patch)
        log.write('system', 'the patch contained a configured secret; it was redacted and will not be delivered');
      await finish(attempt, {
        state: 'succeeded',
        result: { ...result, patch, ...(patch === result.patch ? {} : { patchRedacted: true }) },
        error: null,
      });
      return result.outcome;
    } finally {
      // Exactly one sandbox per task, always released, whatever happened above.
      await sandbox.dispose().catch((err: unknown) => logger.error({ err, taskId }, 'sandbox_dispose_failed'));
    }
  }

  /**
   * Waits here, in place, while the sandbox's quota is full: the start hooks' work (a check run,
   * the resolved command, per-task tokens) is kept instead of redone on a requeue, and the total
   * wait is bounded, so a quota smaller than one sandbox fails the task with the quota's message.
   * The time guard is paused meanwhile: waiting for room is not the task's time.
   */
  async function createSandbox(attempt: Attempt, role: SandboxRole = 'work'): Promise<Sandbox> {
    const { taskId, timeoutSeconds, controller } = attempt;
    const maxWaitMs = (options.worker.capacityWaitMaxSeconds ?? DEFAULT_CAPACITY_WAIT_MAX_SECONDS) * 1000;
    const waitStarted = Date.now();
    for (;;) {
      try {
        return await options.sandboxes.create({ taskId, timeoutSeconds, signal: controller.signal, role });
      } catch (err) {
        if (!(err instanceof CapacityError) || controller.signal.aborted) throw err;
        const waited = Date.now() - waitStarted;
        if (waited + err.retryAfterMs > maxWaitMs) {
          throw new TaskError(
            'sandbox_capacity_exhausted',
            `no sandbox capacity within ${Math.round(maxWaitMs / 1000)} s: ${err.message}`,
            { cause: err },
          );
        }
        attempt.log.write(
          'system',
          `waiting for capacity: ${attempt.redact(err.message)}; retrying in ${Math.round(err.retryAfterMs / 1000)} s`,
        );
        clearTimeout(attempt.guard);
        await sleep(err.retryAfterMs, undefined, { signal: controller.signal }).catch(() => undefined);
        armGuard(attempt);
        // Cancel or shutdown during the wait: settleFailure sorts it by the abort reason.
        controller.signal.throwIfAborted();
      }
    }
  }

  /**
   * BullMQ fails a job that stalled more than MAX_STALLED_COUNT times (its workers kept dying)
   * without calling the processor, so the record would stay `running`: finish it here.
   */
  async function finishStalled(job: Job<TaskJobData>): Promise<void> {
    const taskId = job.data.taskId;
    const error: TaskErrorInfo = {
      code: 'task_stalled',
      message: `the task's worker stopped responding ${MAX_STALLED_COUNT + 1} times (killed, out of memory, or blocked); it is not retried again`,
    };
    await store.appendLog(taskId, [{ ts: now(), stream: 'system', text: `task failed: ${error.message}` }]);
    const outcome = await store.transition(taskId, ['queued', 'running'], {
      state: 'failed',
      phase: null,
      finishedAt: now(),
      result: errorResult(),
      error,
    });
    if (!outcome.applied) return;
    options.metrics.taskFinished('error', (Date.now() - (job.processedOn ?? Date.now())) / 1000);
    logger.warn({ taskId, code: error.code }, 'task_failed_stalled');
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
          maxStalledCount: MAX_STALLED_COUNT,
          removeOnComplete: { age: options.queue.retentionSeconds },
          removeOnFail: { age: options.queue.retentionSeconds },
          autorun: false,
        });
        worker.on('error', (err) => logger.error({ err }, 'worker_error'));
        worker.on('failed', (job) => {
          if (job?.deferredFailure === undefined) return;
          finishStalled(job).catch((err: unknown) =>
            logger.error({ err, taskId: job.data.taskId }, 'task_stalled_record_failed'),
          );
        });
        await worker.waitUntilReady();
        // The cluster-wide cap lives on the queue, so every worker sees the same limit.
        const queue = new Queue(options.queue.name, { connection: options.connection, prefix: options.queue.prefix });
        try {
          await queue.setGlobalConcurrency(options.worker.maxConcurrentSandboxes);
        } finally {
          await queue.close();
        }
        void worker.run();
        logger.info(
          {
            concurrency: options.worker.concurrency,
            maxConcurrentSandboxes: options.worker.maxConcurrentSandboxes,
            driver: options.sandboxes.kind,
          },
          'worker_started',
        );
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
  /** Fences this attempt's writes; it owns the record once its `running` write applied. */
  owner: string;
  owned: boolean;
  /** The spec a start hook resolved (e.g. the command from .ci-fixer.yml). */
  spec?: TaskSpec;
  gitToken?: string;
  /** Whether GIT_TOKEN may be attached to this task's clone (mayCloneWithGitToken). */
  cloneWithGitToken?: boolean;
  hookCtx?: TaskHookContext;
}

/**
 * GIT_TOKEN reaches a task's clone only when the stored record allows it: webhook tasks (no
 * submitter; their repositories passed GITHUB_ALLOW), and API tasks the API marked when their
 * token had repository scopes or was the one-user setup's only token. An unscoped named tenant
 * never gets it: it could name any private repository on GIT_TOKEN_HOSTS and read it.
 */
function mayCloneWithGitToken(record: TaskRecord): boolean {
  if (record.submittedBy === null) return record.spec.github !== undefined;
  return record.cloneWithGitToken === true;
}

/** Commands and error messages can echo a secret too (a token in a command line, a git error). */
function redactEnd(
  end: Pick<TaskEnd, 'state' | 'result' | 'error'>,
  redact: Redactor,
): Pick<TaskEnd, 'state' | 'result' | 'error'> {
  const info = (e: TaskErrorInfo | null) => (e === null ? null : { ...e, message: redact(e.message) });
  const result = end.result;
  return {
    ...end,
    error: info(end.error),
    result:
      result === null
        ? null
        : {
            ...result,
            commands: result.commands.map((c) => ({ ...c, command: redact(c.command) })),
            // The diagnosis quotes the command's output; the reason and the model's summary may too.
            ...(result.diagnosis ? { diagnosis: redactDiagnosis(result.diagnosis, redact) } : {}),
            ...(result.reason ? { reason: redact(result.reason) } : {}),
            // The proof records the command it ran, which may hold a secret like any command.
            ...(result.proof ? { proof: { ...result.proof, command: redact(result.proof.command) } } : {}),
            ...(result.model
              ? {
                  model: {
                    ...result.model,
                    summary: result.model.summary === null ? null : redact(result.model.summary),
                  },
                }
              : {}),
            ...(result.github === undefined ? {} : { github: { ...result.github, error: info(result.github.error) } }),
          },
  };
}

function redactDiagnosis(d: Diagnosis, redact: Redactor): Diagnosis {
  return {
    ...d,
    step: d.step === null ? null : { ...d.step, command: redact(d.step.command) },
    locations: d.locations.map((l) => ({ ...l, path: redact(l.path) })),
    excerpt: d.excerpt.map((line) => redact(line)),
    summary: redact(d.summary),
  };
}

function errorResult(): FixResult {
  return { outcome: 'error', fixer: null, patch: '', patchTruncated: false, commands: [] };
}
