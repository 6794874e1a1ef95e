// The real queue side (TaskStore + RedisTaskService + subscription hub) on the test Redis, under a
// unique prefix, with cleanup of every key it wrote.
import { pino } from 'pino';
import type { Redis } from 'ioredis';
import { createSubscriptionHub, type SubscriptionHub } from '../../src/queue/subscription-hub.js';
import { RedisTaskService, type QueueSettings } from '../../src/queue/task-service.js';
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

export function createQueueStack(overrides: Partial<QueueSettings> & { logMaxLines?: number; logMaxBytes?: number } = {}): QueueStack {
  const prefix = uniquePrefix('q');
  const settings: QueueSettings = { name: 'fix-tasks', prefix, retentionSeconds: 3600, attempts: 3, backoffMs: 200, batchMax: 64, ...overrides };
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
