// The intake app with webhook settings, on the in-memory TaskService, for the webhook unit tests.
import { createApp } from '../../src/api/app.js';
import { createOpsApp } from '../../src/api/ops-app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { TaskService } from '../../src/queue/types.js';
import { OLD_WEBHOOK_SECRET, WEBHOOK_SECRET } from './github-payloads.js';
import { MemoryTaskService } from './memory-task-service.js';

export interface WebhookAppOptions {
  secrets?: string[];
  allow?: string[];
  bodyLimitBytes?: number;
  appId?: string;
  tasks?: TaskService;
}

export function buildWebhookApp(options: WebhookAppOptions = {}) {
  const memory = new MemoryTaskService();
  const tasks = options.tasks ?? memory;
  const metrics = createMetrics();
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', {
    write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>),
  });
  const app = createApp({
    tasks,
    metrics,
    logger,
    config: {
      auth: { tokens: ['api-token'], usingDevToken: false },
      http: { publicUrl: undefined, bodyLimitBytes: 1024 * 1024 },
      github: {
        webhookSecrets: options.secrets ?? [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET],
        webhookBodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024,
        allow: options.allow ?? [],
        checkName: 'ci-fixer',
        app: options.appId === undefined ? undefined : { id: options.appId, privateKey: 'unused' },
      },
    },
  });
  return { app, ops: createOpsApp({ tasks, metrics }), tasks: memory, metrics, logs };
}

/** The value of one sample of ci_fixer_webhook_ignored_total, 0 when absent. */
export async function ignoredCount(
  metrics: ReturnType<typeof buildWebhookApp>['metrics'],
  reason: string,
): Promise<number> {
  const metric = await metrics.webhookIgnored.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}
