// "Is a worker still working on this task?" for the sandbox reaper. BullMQ keeps a task in its
// active list after its worker died, until another worker's stalled check moves it; the job lock
// is what only a live worker renews. So a task counts as active while its lock key exists.
import type { Redis } from 'ioredis';

export interface TaskActivityOptions {
  redis: Redis;
  /** QUEUE_PREFIX and QUEUE_NAME, as the worker's BullMQ Worker uses them. */
  prefix: string;
  queueName: string;
}

/** BullMQ's lock key of a job: `<prefix>:<queue>:<jobId>:lock` (the job id is the task id). */
export function taskLockKey(options: Omit<TaskActivityOptions, 'redis'>, taskId: string): string {
  return `${options.prefix}:${options.queueName}:${taskId}:lock`;
}

export function taskHeldByWorker(options: TaskActivityOptions): (taskId: string) => Promise<boolean> {
  return async (taskId) => (await options.redis.exists(taskLockKey(options, taskId))) === 1;
}
