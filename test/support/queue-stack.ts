// The real queue side (TaskStore + RedisTaskService + subscription hub) on the test Redis, under a
// unique prefix, with cleanup of every key it wrote.
import { pino } from 'pino';
import { afterAll, afterEach } from 'vitest';
import { Fixtures } from './fix-pipeline.js';
import type { Redis } from 'ioredis';
import { createSubscriptionHub, type SubscriptionHub } from '../../src/queue/subscription-hub.js';
import { RedisTaskService, type QueueSettings } from '../../src/queue/task-service.js';
import { runFixPipeline } from '../../src/fixer/pipeline.js';
import { isFinal, type QueuedTaskSpec, type TaskRecord } from '../../src/task.js';
import { createFixWorker, type FixWorker, type FixWorkerOptions } from '../../workers/worker.js';
import { TaskStore } from '../../src/result/task-store.js';
import { connect, deletePrefix, uniquePrefix } from './redis.js';

export interface QueueStack {
  prefix: string;
  settings: QueueSettings;
  redis: Redis;
  store: TaskStore;
  hub: SubscriptionHub;
  tasks: RedisTaskService;
  close(): Promise<void>;
}

export function createQueueStack(
  overrides: Partial<QueueSettings> & { logMaxLines?: number; logMaxBytes?: number } = {},
): QueueStack {
  const prefix = uniquePrefix('q');
  const settings: QueueSettings = {
    name: 'fix-tasks',
    prefix,
    retentionSeconds: 3600,
    attempts: 3,
    backoffMs: 200,
    batchMax: 64,
    ...overrides,
  };
  const redis = connect();
  const store = new TaskStore({
    redis,
    prefix,
    retentionSeconds: settings.retentionSeconds,
    logMaxLines: overrides.logMaxLines ?? 10_000,
    logMaxBytes: overrides.logMaxBytes ?? 5 * 1024 * 1024,
  });
  const hub = createSubscriptionHub(connect());
  const tasks = new RedisTaskService({ queue: settings, redis, store, hub, logger: pino({ level: 'silent' }) });
  return {
    prefix,
    settings,
    redis,
    store,
    hub,
    tasks,
    async close() {
      await tasks.close();
      await hub.stop();
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

/**
 * A worker on the stack with test-friendly defaults (quiet logger, fast locks, no metrics);
 * `sandboxes` is required, everything else may be overridden. The caller stops it.
 */
export async function startStackWorker(
  stack: QueueStack,
  options: Pick<FixWorkerOptions, 'sandboxes'> & Partial<Omit<FixWorkerOptions, 'queue' | 'store' | 'hub'>>,
): Promise<FixWorker> {
  const worker = createFixWorker({
    worker: { concurrency: 2, maxConcurrentSandboxes: 4, drainSeconds: 5, lockMs: 10_000, stalledIntervalMs: 5000 },
    tasks: { defaultTimeoutSeconds: 120, patchMaxBytes: 1024 * 1024 },
    connection: stack.redis,
    pipeline: runFixPipeline,
    metrics: { taskFinished: () => undefined, sandboxReady: () => undefined, writeRefused: () => undefined },
    logger: pino({ level: 'silent' }),
    secrets: [],
    ...options,
    queue: stack.settings,
    store: stack.store,
    hub: stack.hub,
  });
  await worker.start();
  return worker;
}

/** Polls a task until it is final; `seen` observes every read. Bounded by timeoutMs. */
export async function untilFinal(
  stack: QueueStack,
  id: string,
  timeoutMs = 150_000,
  seen?: (task: TaskRecord) => void,
): Promise<TaskRecord> {
  const deadline = Date.now() + timeoutMs;
  let last: TaskRecord | null = null;
  while (Date.now() < deadline) {
    last = await stack.tasks.get(id);
    if (last) seen?.(last);
    if (last && isFinal(last.state)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${id} not final within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

/** Submits a task and waits until it is final. */
export async function runToEnd(stack: QueueStack, spec: QueuedTaskSpec, timeoutMs?: number): Promise<TaskRecord> {
  const { id } = await stack.tasks.submit(spec);
  return untilFinal(stack, id, timeoutMs);
}

/**
 * Per-test slots for a stack and its worker, stopped and cleaned after each test; and fixture
 * repositories, removed after the file.
 */
export function useWorkerStack(): { fixtures: Fixtures; slot: { stack?: QueueStack; worker?: FixWorker } } {
  const fixtures = new Fixtures();
  const slot: { stack?: QueueStack; worker?: FixWorker } = {};
  afterEach(async () => {
    await slot.worker?.stop();
    await slot.stack?.close();
    slot.worker = undefined;
    slot.stack = undefined;
  });
  afterAll(() => fixtures.cleanup());
  return { fixtures, slot };
}
