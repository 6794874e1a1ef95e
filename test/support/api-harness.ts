// Builds the intake API on the in-memory TaskService, with logs captured for assertions.
import { createApp, type AppDeps } from '../../src/api/app.js';
import { createOpsApp } from '../../src/api/ops-app.js';
import { createConsoleUi } from '../../src/console/index.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { MemoryTaskService } from './memory-task-service.js';

export const TOKENS = ['token-a', 'token-b'];
export const AUTH = { Authorization: `Bearer ${TOKENS[0]}` };

export interface HarnessOptions {
  publicUrl?: string;
  bodyLimitBytes?: number;
  sse?: AppDeps['sse'];
  readyTimeoutMs?: number;
  metricsCollectTimeoutMs?: number;
  /** Mount the web console (without Bull Board: there is no BullMQ queue here). */
  console?: boolean;
  /** API_TOKENS entries in place of TOKENS. */
  tokens?: string[];
}

export function buildTestApp(options: HarnessOptions = {}) {
  const tasks = new MemoryTaskService();
  const tokens = options.tokens ?? TOKENS;
  const metrics = createMetrics({ collectTimeoutMs: options.metricsCollectTimeoutMs ?? 1000 });
  metrics.setQueueCountsSource(() => tasks.counts());
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', { write: (line: string) => void logs.push(JSON.parse(line)) });
  const app = createApp({
    tasks,
    metrics,
    logger,
    config: {
      auth: { tokens, usingDevToken: false },
      http: { publicUrl: options.publicUrl, bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024 },
    },
    sse: options.sse,
    readyTimeoutMs: options.readyTimeoutMs,
    ...(options.console ? { ui: createConsoleUi({ tasks, tokens, publicUrl: options.publicUrl }) } : {}),
  });
  // The metrics port's app, on the same service and metrics: /metrics lives there, not on the API.
  const ops = createOpsApp({ tasks, metrics, logger });
  return { app, ops, tasks, metrics, logs };
}

export const VALID_SPEC = {
  repo: { url: 'https://example.test/org/repo.git', ref: 'main' },
  command: 'npx prettier --check .',
};

export function jsonPost(body: unknown, headers: Record<string, string> = AUTH): RequestInit {
  return { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: { in?: string; issues?: Array<{ field: string; message: string }> };
  };
}

/** The intake API over a real TaskService (a queue stack on Redis), silent, with these API_TOKENS. */
export function buildApiOver(
  tasks: AppDeps['tasks'],
  tokens: AppDeps['config']['auth']['tokens'],
  extra: Pick<AppDeps, 'ui'> = {},
): ReturnType<typeof createApp> {
  return createApp({
    tasks,
    metrics: createMetrics(),
    logger: createLogger('silent'),
    config: {
      auth: { tokens, usingDevToken: false },
      http: { publicUrl: undefined, bodyLimitBytes: 1024 * 1024 },
    },
    ...extra,
  });
}
