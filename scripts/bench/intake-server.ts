// One server for the intake benchmark, in its own process so the load generator does not share
// its core: `bare` is a Hono POST handler that parses the same body and answers 202; `ci-fixer` is
// the real intake API on the real Redis queue. Prints its port on stdout.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createApp } from '../../src/api/app.js';
import { createMetrics } from '../../src/metrics.js';
import { createSubscriptionHub } from '../../src/queue/subscription-hub.js';
import { RedisTaskService } from '../../src/queue/task-service.js';
import { TaskStore } from '../../src/result/task-store.js';

const [mode, redisUrl, prefix] = process.argv.slice(2);

function bare(): { fetch: (req: Request) => Response | Promise<Response> } {
  const app = new Hono();
  app.post('/api/v1/tasks', async (c) => {
    const body = await c.req.json();
    return c.json({ id: crypto.randomUUID(), received: typeof body }, 202);
  });
  return app;
}

function ciFixer(): { fetch: (req: Request) => Response | Promise<Response> } {
  const redis = new Redis(redisUrl!, { maxRetriesPerRequest: null });
  const store = new TaskStore({
    redis,
    prefix: prefix!,
    retentionSeconds: 600,
    logMaxLines: 10_000,
    logMaxBytes: 5 << 20,
  });
  const logger = pino({ level: 'warn' });
  const tasks = new RedisTaskService({
    queue: { name: 'fix-tasks', prefix: prefix!, retentionSeconds: 600, attempts: 3, backoffMs: 1000, batchMax: 64 },
    redis,
    store,
    hub: createSubscriptionHub(new Redis(redisUrl!)),
    logger,
  });
  return createApp({
    tasks,
    metrics: createMetrics(),
    logger,
    config: {
      auth: { tokens: ['bench-token'], usingDevToken: false },
      http: { publicUrl: undefined, bodyLimitBytes: 1 << 20 },
    },
  });
}

const app = mode === 'bare' ? bare() : ciFixer();
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => process.stdout.write(`${info.port}\n`));
