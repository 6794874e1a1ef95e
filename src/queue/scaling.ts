// The one figure worker autoscaling reads: the work BullMQ holds. GET /scaling on METRICS_PORT
// (KEDA's metrics-api trigger) and the ci_fixer_queue_demand gauge (Prometheus, prometheus-adapter)
// both come from scalingFigure(), so every autoscaler sees the same number.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface ScalingCounts {
  /** Runnable now, in FIFO order (BullMQ's wait list). */
  waiting: number;
  /** Runnable now, with a priority (a sorted set, not the wait list: LLEN would miss them). */
  prioritized: number;
  /**
   * Delayed jobs (retries in backoff) whose time has come. BullMQ only moves them to the wait
   * list from inside a running worker, so with zero workers they would never be seen: counting
   * them here is what lets a scaled-to-zero Deployment wake up for a retry.
   */
  delayedDue: number;
  /** Running on some worker now. */
  active: number;
}

export interface ScalingFigure extends ScalingCounts {
  /** Backlog (waiting + prioritized + delayedDue) plus active: the scaling metric. */
  demand: number;
}

/**
 * The scaling metric: runnable backlog plus running tasks. Active tasks are its floor, so a
 * scale-down never goes below the replicas that running tasks occupy; the backlog on top asks for
 * replicas to run it. Divided by tasks per worker (WORKER_CONCURRENCY) it is the replica count.
 */
export function scalingFigure(counts: ScalingCounts): ScalingFigure {
  const backlog = counts.waiting + counts.prioritized + counts.delayedDue;
  return { ...counts, demand: backlog + counts.active };
}

/** BullMQ scores delayed jobs as timestamp * 0x1000 + a counter (getDelayedScore.lua). */
export function delayedDueMaxScore(nowMs: number): number {
  return (Math.floor(nowMs) + 1) * 0x1000 - 1;
}

/**
 * Reads the counts from Redis (`redis`: a connection to the queue's Redis). The due-delayed count is a separate ZCOUNT, so a job promoted
 * between the two reads can be counted twice for one read; scaling tolerates that, and the
 * count is capped by the delayed total.
 */
export async function readScalingCounts(
  queue: Pick<Queue, 'getJobCounts' | 'keys'>,
  redis: Pick<Redis, 'zcount'>,
  nowMs = Date.now(),
): Promise<ScalingCounts> {
  const delayedKey = queue.keys.delayed;
  if (delayedKey === undefined) throw new Error('BullMQ queue has no delayed key');
  const [c, due] = await Promise.all([
    queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed'),
    redis.zcount(delayedKey, 0, delayedDueMaxScore(nowMs)),
  ]);
  return {
    waiting: c.waiting ?? 0,
    prioritized: c.prioritized ?? 0,
    delayedDue: Math.min(due, c.delayed ?? 0),
    active: c.active ?? 0,
  };
}
