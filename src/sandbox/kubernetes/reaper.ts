// Deletes sandbox Jobs nobody will dispose: their task is no longer active in the queue (its
// worker was SIGKILLed, or lost its lock) or they are older than the maximum age. Runs in every
// worker; deletes carry the Job's uid as a precondition, so a tick that raced a retry can never
// remove the fresh Job that replaced the orphan.
import type { BatchV1Api, V1Job } from '@kubernetes/client-node';
import type { Logger } from '../../logger.js';
import { apiStatusCode, backgroundDelete } from './api-errors.js';
import { ANNOTATION_TASK_ID, instanceSelector } from './labels.js';

export interface ReaperOptions {
  batch: BatchV1Api;
  namespace: string;
  /** SANDBOX_INSTANCE: only this install's Jobs are listed, so another install's are never deleted. */
  instance: string;
  intervalMs: number;
  maxAgeMs: number;
  /** True while a worker holds the task; undefined disables the check (max age only). */
  isTaskActive?: (taskId: string) => Promise<boolean>;
  /** Tasks whose sandbox is open in this process: never reaped here. */
  localTaskIds: () => Set<string>;
  logger: Logger;
  now?: () => number;
}

export interface ReapResult {
  examined: number;
  deleted: Array<{ name: string; uid: string; taskId: string | undefined; reason: 'max_age' | 'task_inactive' }>;
}

export interface Reaper {
  start(): void;
  stop(): Promise<void>;
  /** One pass, serialised with the periodic ones. */
  tick(): Promise<ReapResult>;
}

/** Why a Job should go, or undefined to keep it. Pure apart from the activity lookup. */
export async function reapReason(
  job: V1Job,
  now: number,
  options: Pick<ReaperOptions, 'maxAgeMs' | 'isTaskActive'> & { local: Set<string> },
): Promise<'max_age' | 'task_inactive' | undefined> {
  if (job.metadata?.deletionTimestamp) return undefined;
  const created = job.metadata?.creationTimestamp;
  if (created !== undefined && now - new Date(created).getTime() > options.maxAgeMs) return 'max_age';
  const taskId = job.metadata?.annotations?.[ANNOTATION_TASK_ID];
  if (taskId === undefined || options.local.has(taskId) || options.isTaskActive === undefined) return undefined;
  return (await options.isTaskActive(taskId)) ? undefined : 'task_inactive';
}

export function createReaper(options: ReaperOptions): Reaper {
  const { batch, namespace, logger } = options;
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<ReapResult> | undefined;
  let stopped = false;

  async function pass(): Promise<ReapResult> {
    const jobs = await batch.listNamespacedJob({ namespace, labelSelector: instanceSelector(options.instance) });
    const local = options.localTaskIds();
    const result: ReapResult = { examined: jobs.items.length, deleted: [] };
    for (const job of jobs.items) {
      const name = job.metadata?.name;
      const uid = job.metadata?.uid;
      if (name === undefined || uid === undefined) continue;
      let reason: Awaited<ReturnType<typeof reapReason>>;
      try {
        reason = await reapReason(job, now(), {
          maxAgeMs: options.maxAgeMs,
          isTaskActive: options.isTaskActive,
          local,
        });
      } catch (err) {
        // Unsure whether the task is alive: keep the Job this time.
        logger.warn({ err, job: name }, 'reaper_task_check_failed');
        continue;
      }
      if (reason === undefined) continue;
      try {
        await batch.deleteNamespacedJob({ name, namespace, body: backgroundDelete(uid) });
      } catch (err) {
        const status = apiStatusCode(err);
        // 404: already gone; 409: the name now belongs to a newer Job (the precondition held).
        if (status !== 404 && status !== 409) logger.warn({ err, job: name }, 'reaper_delete_failed');
        continue;
      }
      const taskId = job.metadata?.annotations?.[ANNOTATION_TASK_ID];
      result.deleted.push({ name, uid, taskId, reason });
      logger.info({ job: name, uid, taskId, reason }, 'sandbox_job_reaped');
    }
    return result;
  }

  function tick(): Promise<ReapResult> {
    // Ticks never overlap: a caller arriving mid-pass waits for it, then runs its own.
    const previous = running ?? Promise.resolve(undefined);
    const next = previous.catch(() => undefined).then(pass);
    running = next;
    void next
      .finally(() => {
        if (running === next) running = undefined;
      })
      .catch(() => undefined);
    return next;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      tick()
        .catch((err: unknown) => logger.warn({ err }, 'reaper_tick_failed'))
        .finally(() => schedule(options.intervalMs));
    }, delayMs);
    timer.unref();
  }

  return {
    start() {
      if (timer !== undefined || stopped) return;
      if (options.isTaskActive === undefined) logger.warn({ maxAgeMs: options.maxAgeMs }, 'reaper_without_task_check');
      // A restarted worker cleans up after its previous life right away.
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
    tick,
  };
}
