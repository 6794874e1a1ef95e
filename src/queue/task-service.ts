// The queue side of the pipeline: the TaskService the intake API talks to, over BullMQ and the
// task store. Submission is micro-batched (one pipeline + one addBulk per batch).
import { createHash, randomUUID } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TaskStore } from '../result/task-store.js';
import { isFinal, type QueuedTaskSpec, type TaskRecord } from '../task.js';
import { asUnavailable } from '../redis/unavailable.js';
import { withTimeout } from '../timeout.js';
import { createMicroBatcher } from './micro-batcher.js';
import { readScalingCounts, scalingFigure, type ScalingFigure } from './scaling.js';
import type { SubscriptionHub } from './subscription-hub.js';
import { createTaskLister } from './task-list.js';
import type {
  LogPage,
  QueueCounts,
  SubmitOptions,
  TaskListPage,
  TaskListQuery,
  TaskService,
  TaskStats,
  TaskSummary,
} from './types.js';

export interface TaskJobData {
  taskId: string;
  spec: QueuedTaskSpec;
}

interface Submission {
  id: string;
  spec: QueuedTaskSpec;
  createdAt: string;
  options: SubmitOptions;
  /** Set by writeBatch when the submission became another, existing task (a repeat or a join). */
  existingId?: string;
}

export interface QueueSettings {
  name: string;
  prefix: string;
  retentionSeconds: number;
  attempts: number;
  backoffMs: number;
  batchMax: number;
}

export interface RedisTaskServiceOptions {
  queue: QueueSettings;
  /** Commands connection (shared with the store). */
  redis: Redis;
  store: TaskStore;
  hub: SubscriptionHub;
  logger: Logger;
  pingTimeoutMs?: number;
}

export const JOB_NAME = 'fix';

export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

export function jobOptions(settings: QueueSettings): JobsOptions {
  return {
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: settings.backoffMs },
    // Keep finished jobs by age, so results stay pollable and Redis does not grow forever.
    removeOnComplete: { age: settings.retentionSeconds },
    removeOnFail: { age: settings.retentionSeconds },
  };
}

export function createQueue(settings: QueueSettings, connection: Redis): Queue<TaskJobData> {
  return new Queue<TaskJobData>(settings.name, {
    connection,
    prefix: settings.prefix,
    defaultJobOptions: jobOptions(settings),
  });
}

export class RedisTaskService implements TaskService {
  readonly queue: Queue<TaskJobData>;
  private readonly batcher;
  private readonly lister;
  private closed = false;

  constructor(private readonly options: RedisTaskServiceOptions) {
    this.queue = createQueue(options.queue, options.redis);
    this.queue.on('error', (err) => options.logger.error({ err }, 'queue_error'));
    this.batcher = createMicroBatcher<Submission>({
      maxBatch: options.queue.batchMax,
      run: (items) => this.writeBatch(items),
    });
    this.lister = createTaskLister({
      redis: options.redis,
      index: options.store.index,
      recordKey: (id) => options.store.recordKey(id),
      counts: () => this.counts(),
    });
  }

  private idempotencyRedisKey(key: string): string {
    // Hashed: the key comes from outside (a delivery id) and must not shape our key space.
    return `${this.options.queue.prefix}:idempotency:${createHash('sha256').update(key).digest('hex')}`;
  }

  private async writeBatch(items: Submission[]): Promise<void> {
    const { store, redis, queue: settings } = this.options;
    // Claim idempotency keys first; a key already held resolves the submission to its holder.
    const keyed = items.filter((item) => item.options.idempotencyKey !== undefined);
    const claimed: string[] = [];
    if (keyed.length > 0) {
      const claim = redis.pipeline();
      for (const item of keyed) {
        const key = this.idempotencyRedisKey(item.options.idempotencyKey as string);
        claim.set(key, item.id, 'EX', settings.retentionSeconds, 'NX').get(key);
      }
      const replies = await execPipeline(claim);
      keyed.forEach((item, i) => {
        if (replies[2 * i] === 'OK') claimed.push(this.idempotencyRedisKey(item.options.idempotencyKey as string));
        else item.existingId = String(replies[2 * i + 1] ?? item.id);
      });
    }
    const fresh = items.filter((item) => item.existingId === undefined);
    if (fresh.length === 0) return;
    try {
      // The record first: a worker that picks the job up must find it. Both writes go out on this
      // one connection (BullMQ uses a Queue's ioredis instance as it is), and Redis runs one
      // connection's commands in order, so the records land before the jobs without waiting a
      // round trip in between: that wait cost a quarter of intake throughput.
      const pipeline = redis.pipeline();
      for (const item of fresh) {
        pipeline
          .hset(
            store.recordKey(item.id),
            store.newRecordFields(
              item.id,
              item.spec,
              item.createdAt,
              item.options.submittedBy,
              item.options.cloneWithGitToken,
            ),
          )
          .expire(store.recordKey(item.id), store.unfinishedTtlSeconds);
      }
      store.index.add(pipeline, fresh);
      const recordsWritten = execPipeline(pipeline);
      let jobs: Awaited<ReturnType<Queue['addBulk']>>;
      try {
        const added = this.queue.addBulk(
          fresh.map((item) => ({
            name: JOB_NAME,
            data: { taskId: item.id, spec: item.spec },
            opts: {
              jobId: item.id,
              ...(item.options.deduplicationId === undefined
                ? {}
                : { deduplication: { id: item.options.deduplicationId } }),
            },
          })),
        );
        // Both awaited together: when Redis is down both fail, and neither rejection may go unhandled.
        [, jobs] = await Promise.all([recordsWritten, added]);
      } catch (err) {
        await store.delete(fresh.map((i) => i.id)).catch(() => undefined);
        throw err;
      }
      // BullMQ answers a deduplicated add with the id of the job that holds the deduplication id.
      const joined = fresh.filter((item, i) => jobs[i]?.id !== undefined && jobs[i]?.id !== item.id);
      if (joined.length > 0) {
        const repoint = redis.pipeline();
        for (const item of joined) {
          item.existingId = jobs[fresh.indexOf(item)]?.id as string;
          if (item.options.idempotencyKey !== undefined) {
            repoint.set(
              this.idempotencyRedisKey(item.options.idempotencyKey),
              item.existingId,
              'EX',
              settings.retentionSeconds,
              'XX',
            );
          }
        }
        await execPipeline(repoint);
        await store.delete(joined.map((i) => i.id));
      }
    } catch (err) {
      // Nothing was created for these keys: a retry of the same delivery must be able to create it.
      if (claimed.length > 0) await redis.del(...claimed).catch(() => undefined);
      throw err;
    }
  }

  // Every public call maps a Redis outage to a retryable error (HTTP 503), so a client is answered
  // within the connection's command timeout instead of waiting for Redis to come back.
  submit(spec: QueuedTaskSpec, options: SubmitOptions = {}): Promise<TaskRecord> {
    return this.doSubmit(spec, options).catch(asUnavailable);
  }

  private async doSubmit(spec: QueuedTaskSpec, options: SubmitOptions): Promise<TaskRecord> {
    const id = randomUUID();
    const createdAt = new Date().toISOString();
    const submission: Submission = { id, spec, createdAt, options };
    await this.batcher.add(submission);
    const queued = (taskId: string): TaskRecord => ({
      id: taskId,
      state: 'queued',
      phase: null,
      attempts: 0,
      createdAt,
      startedAt: null,
      finishedAt: null,
      spec,
      submittedBy: options.submittedBy ?? null,
      ...(options.cloneWithGitToken === true ? { cloneWithGitToken: true } : {}),
      result: null,
      error: null,
    });
    if (submission.existingId === undefined) return queued(id);
    // The holder may still be in flight in a concurrent batch; it is queued then.
    return (await this.options.store.get(submission.existingId)) ?? queued(submission.existingId);
  }

  get(id: string): Promise<TaskRecord | null> {
    return this.options.store.get(id).catch(asUnavailable);
  }

  async readLogs(id: string, cursor: number, limit: number): Promise<LogPage> {
    const read = await this.options.store.readLog(id, cursor, limit).catch(asUnavailable);
    if (!read.exists || read.state === null) throw new NotFoundError(`task ${id} not found`);
    const nextCursor = cursor + read.lines.length;
    return { lines: read.lines, nextCursor, done: isFinal(read.state) && nextCursor >= read.total };
  }

  cancel(id: string): Promise<TaskRecord> {
    return this.doCancel(id).catch(asUnavailable);
  }

  private async doCancel(id: string): Promise<TaskRecord> {
    const { store, redis, queue: settings, logger } = this.options;
    const state = await store.requestCancel(id);
    if (state === null) throw new NotFoundError(`task ${id} not found`);
    if (isFinal(state)) throw new ConflictError(`task ${id} is already ${state}`, { details: { state } });
    // A waiting or delayed job is removed outright; an active one is locked by its worker, so
    // remove() refuses and the owning worker is told over pub/sub instead.
    const removed = await this.queue.remove(id);
    if (removed === 1) {
      await store.transition(id, ['queued', 'running'], {
        state: 'cancelled',
        phase: null,
        finishedAt: new Date().toISOString(),
      });
      logger.info({ taskId: id }, 'task_cancelled_queued');
    } else {
      await redis.publish(cancelChannel(settings.prefix), id);
      logger.info({ taskId: id }, 'task_cancel_requested');
    }
    const record = await store.get(id);
    if (record === null) throw new NotFoundError(`task ${id} not found`);
    return record;
  }

  watch(id: string, onChange: () => void): Promise<() => Promise<void>> {
    return this.options.hub.subscribe(this.options.store.eventsChannel(id), () => onChange()).catch(asUnavailable);
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.queue
      .getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed')
      .catch(asUnavailable);
    return {
      waiting: c.waiting ?? 0,
      prioritized: c.prioritized ?? 0,
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      completed: c.completed ?? 0,
      failed: c.failed ?? 0,
    };
  }

  list(query: TaskListQuery): Promise<TaskListPage> {
    return this.lister.list(query).catch(asUnavailable);
  }

  stats(windowSeconds: number, visible?: (task: TaskSummary) => boolean): Promise<TaskStats> {
    return this.lister.stats(windowSeconds, visible).catch(asUnavailable);
  }

  /** The autoscaling figure (src/queue/scaling.ts): GET /scaling and ci_fixer_queue_demand. */
  async scaling(): Promise<ScalingFigure> {
    return scalingFigure(await readScalingCounts(this.queue, this.options.redis).catch(asUnavailable));
  }

  async ping(): Promise<void> {
    await withTimeout(this.options.redis.ping(), this.options.pingTimeoutMs ?? 2000, 'redis ping');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close();
  }
}

async function execPipeline(pipeline: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  const failed = results.find(([err]) => err !== null);
  if (failed) throw failed[0];
  return results.map(([, value]) => value);
}
