#!/usr/bin/env node
// Composition root: `ci-fixer <api|worker|all>`. Reads config once, builds the logger once, wires
// intake -> queue -> worker -> sandbox -> fixer -> result, and owns the shutdown order.
import { serve, type ServerType } from '@hono/node-server';
import { Redis } from 'ioredis';
import { pathToFileURL } from 'node:url';
import { createConsoleUi } from './console/index.js';
import { createApp } from './api/app.js';
import { createIntakeLimits } from './api/intake-limits.js';
import { createOpsApp } from './api/ops-app.js';
import { loadConfig, type Config } from './config.js';
import { ConfigError } from './errors.js';
import { createModelAgent } from './fixer/agent/index.js';
import { loadGitCaBundle } from './fixer/git-ca.js';
import { runFixPipeline } from './fixer/pipeline.js';
import type { FixAgent } from './fixer/types.js';
import { createGitHubCredentials } from './github/client.js';
import { createGitHubTaskHooks } from './github/reporter.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createSubscriptionHub } from './queue/subscription-hub.js';
import { RedisTaskService } from './queue/task-service.js';
import { createEmbeddedRedis, type EmbeddedRedis } from './redis/embedded.js';
import { TaskStore } from './result/task-store.js';
import { createSandboxProvider } from './sandbox/index.js';
import { taskHeldByWorker } from './queue/task-activity.js';
import { createFixWorker, type WorkerMetrics } from '../workers/worker.js';

export const MODES = ['api', 'worker', 'all'] as const;
export type Mode = (typeof MODES)[number];

export interface Runtime {
  /** Where the HTTP server listens (the API in api/all mode, health+metrics in worker mode). */
  port: number;
  /** Where probes and /metrics are served (METRICS_PORT), in every mode. */
  metricsPort: number;
  stop(): Promise<void>;
}

/**
 * `worker`: BullMQ workers need maxRetriesPerRequest null (commands wait for a reconnect while
 * Redis restarts). `api`: every command is bounded (timeout, one retry), so during an outage a
 * request is answered 503 within apiTimeoutMs instead of hanging; reconnects never stop, so the
 * API recovers by itself.
 */
function redisClient(url: string, name: string, logger: Logger, role: 'api' | 'worker', apiTimeoutMs: number): Redis {
  const bounds =
    role === 'api' ? { maxRetriesPerRequest: 1, commandTimeout: apiTimeoutMs } : { maxRetriesPerRequest: null };
  const client = new Redis(url, { ...bounds, connectionName: `ci-fixer:${role}:${name}`, connectTimeout: 5000 });
  client.on('error', (err) => logger.warn({ err: err.message, connection: `${role}:${name}` }, 'redis_error'));
  return client;
}

function workerMetrics(metrics: Metrics): WorkerMetrics {
  return {
    taskFinished(outcome, seconds) {
      metrics.tasksFinished.inc({ outcome });
      metrics.taskDuration.observe({ outcome }, seconds);
    },
    sandboxReady(driver, seconds) {
      metrics.sandboxReady.observe({ driver }, seconds);
    },
    writeRefused(reason) {
      metrics.taskWritesRefused.inc({ reason });
    },
    taskFixed(fixers) {
      for (const fixer of fixers) metrics.fixes.inc({ fixer });
    },
  };
}

/** The model-backed fixer, or undefined (said once) when LLM_BASE_URL is unset. */
function modelAgent(config: Config, metrics: Metrics, logger: Logger): FixAgent | undefined {
  if (config.llm === undefined) {
    logger.info({ variable: 'LLM_BASE_URL' }, 'model_fixer_disabled');
    return undefined;
  }
  logger.info(
    { endpoint: new URL(config.llm.baseUrl).origin, model: config.llm.model, budgets: config.llm.budgets },
    'model_fixer_enabled',
  );
  return createModelAgent(config.llm, {
    logger,
    metrics: {
      request: (status) => metrics.modelRequests.inc({ status }),
      tokens: (kind, count) => metrics.modelTokens.inc({ kind }, count),
    },
  });
}

function githubHooks(config: Config, logger: Logger) {
  const settings = config.github;
  const credentials = createGitHubCredentials(settings, {
    apiUrl: settings.apiUrl,
    requestTimeoutMs: settings.requestTimeoutMs,
    logger,
  });
  if (credentials === undefined) logger.info('github_reporting_disabled_no_credentials');
  return createGitHubTaskHooks({
    settings,
    credentials,
    ...(config.git.token ? { gitToken: { token: config.git.token, hosts: config.git.tokenHosts } } : {}),
    publicUrl: config.http.publicUrl,
    logger,
  });
}

/** Refuses, or warns about, setups that hand more away than they should. */
export function checkStartupSafety(mode: Mode, config: Config, logger: Logger): void {
  const { github } = config;
  if (
    mode !== 'api' &&
    config.sandbox.driver === 'local' &&
    (github.app !== undefined || github.personalToken !== undefined) &&
    !config.sandbox.local.allowWithCredentials
  ) {
    // Task code runs unisolated next to the worker and could read the key or token from it.
    throw new ConfigError(
      'the local sandbox driver does not isolate task code from the worker, which holds GITHUB_APP_PRIVATE_KEY or GITHUB_PERSONAL_TOKEN: use SANDBOX_DRIVER=kubernetes, unset them, or set ALLOW_LOCAL_DRIVER_WITH_CREDENTIALS=true',
    );
  }
  if (mode !== 'worker' && config.production && github.appId !== undefined && github.allow.length === 0) {
    logger.warn({ variable: 'GITHUB_ALLOW' }, 'github_allow_empty_every_installation_accepted');
  }
}

async function listen(
  app: { fetch: (req: Request) => Response | Promise<Response> },
  host: string,
  port: number,
): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info) => resolve({ server, port: info.port }));
    server.once('error', reject);
  });
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // SSE streams would otherwise hold the close open until their clients leave.
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}

// Long on purpose: the composition root wires every stage in one place, and the order of `stops`
// is the shutdown order (HTTP first, then the worker's drain, then queues and connections).
export async function startRuntime(mode: Mode, config: Config, logger: Logger): Promise<Runtime> {
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse())
      await stop().catch((err: unknown) => logger.error({ err }, 'shutdown_step_failed'));
  };
  try {
    checkStartupSafety(mode, config, logger);
    let redisUrl = config.redis.url;
    let embedded: EmbeddedRedis | undefined;
    if (redisUrl === undefined) {
      embedded = createEmbeddedRedis({
        dir: config.redis.embeddedDir,
        logger: logger.child({ component: 'embedded-redis' }),
      });
      redisUrl = await embedded.start();
      stops.push(() => embedded!.stop());
    }
    if (config.auth.usingDevToken && mode !== 'worker') {
      logger.warn('api_tokens_unset_using_dev_token');
    }
    if (config.github.webhookSecrets.length === 0 && mode !== 'worker') {
      // POST /webhooks/github answers 401 to every delivery until a secret is set.
      logger.warn({ variable: 'GITHUB_WEBHOOK_SECRETS' }, 'github_webhook_secret_unset');
    }

    // One set of connections per role: the API's bounded ones, the worker's waiting ones.
    const connect = (role: 'api' | 'worker') => {
      const redis = redisClient(redisUrl, 'commands', logger, role, config.redis.apiTimeoutMs);
      stops.push(async () => void redis.disconnect());
      const hub = createSubscriptionHub(redisClient(redisUrl, 'subscriber', logger, role, config.redis.apiTimeoutMs));
      stops.push(() => hub.stop());
      const store = new TaskStore({
        redis,
        prefix: config.queue.prefix,
        retentionSeconds: config.queue.retentionSeconds,
        unfinishedTtlSeconds: config.queue.unfinishedTtlSeconds,
        logMaxLines: config.tasks.logMaxLines,
        logMaxBytes: config.tasks.logMaxBytes,
      });
      return { redis, hub, store };
    };
    const workerSide = mode === 'api' ? undefined : connect('worker');
    const apiSide = mode === 'worker' ? workerSide! : connect('api');
    const tasks = new RedisTaskService({
      queue: config.queue,
      redis: apiSide.redis,
      store: apiSide.store,
      hub: apiSide.hub,
      logger: logger.child({ component: 'queue' }),
    });
    stops.push(() => tasks.close());
    const metrics = createMetrics({ onCollectError: (err) => logger.warn({ err }, 'metrics_collect_failed') });
    metrics.setQueueCountsSource(() => tasks.counts());
    metrics.setScalingSource({ queue: config.queue.name, read: () => tasks.scaling() });

    if (workerSide !== undefined) {
      const { redis, store, hub } = workerSide;
      // Read before any task runs: an unreadable GIT_CA_FILE is a setup error, not a task failure.
      const gitCaBundle = config.git.caFile ? await loadGitCaBundle(config.git.caFile) : undefined;
      const sandboxes = await createSandboxProvider(config.sandbox, logger.child({ component: 'sandbox' }), {
        isTaskActive: taskHeldByWorker({ redis, prefix: config.queue.prefix, queueName: config.queue.name }),
      });
      const agent = modelAgent(config, metrics, logger.child({ component: 'model-agent' }));
      const worker = createFixWorker({
        queue: config.queue,
        worker: config.worker,
        tasks: config.tasks,
        connection: redis,
        store,
        hub,
        sandboxes,
        pipeline: runFixPipeline,
        metrics: workerMetrics(metrics),
        logger: logger.child({ component: 'worker' }),
        // The embedded Redis's password is a secret too (task code could print it back).
        secrets: embedded === undefined ? config.secrets : [...config.secrets, embedded.password],
        ...(config.git.token ? { gitToken: { token: config.git.token, hosts: config.git.tokenHosts } } : {}),
        ...(gitCaBundle ? { gitCaBundle } : {}),
        hooks: githubHooks(config, logger.child({ component: 'github' })),
        ...(agent ? { agent } : {}),
      });
      // Registered before start: a start that fails half-way (Redis not answering as Redis) must
      // still stop the sandbox provider it started, whose watch would keep the process alive.
      stops.push(() => worker.stop());
      await worker.start();
    }

    // Probes and /metrics on METRICS_PORT in every mode; the API port serves no metrics.
    const ops = await listen(
      createOpsApp({ tasks, metrics, logger: logger.child({ component: 'ops' }), scaling: () => tasks.scaling() }),
      config.http.host,
      config.http.metricsPort,
    );
    stops.push(() => closeServer(ops.server));
    let port = ops.port;
    const consoleOn = mode !== 'worker' && config.console.enabled;
    if (mode !== 'worker') {
      const limits = createIntakeLimits({
        ...config.limits,
        redis: apiSide.redis,
        prefix: config.queue.prefix,
        counts: () => tasks.counts(),
      });
      const ui = consoleOn
        ? createConsoleUi({
            tasks,
            tokens: config.auth.tokens,
            publicUrl: config.http.publicUrl,
            queue: tasks.queue,
            limits,
          })
        : undefined;
      const app = createApp({
        tasks,
        config: { auth: config.auth, http: config.http, github: config.github },
        logger: logger.child({ component: 'api' }),
        metrics,
        limits,
        ...(ui === undefined ? {} : { ui }),
      });
      const http = await listen(app, config.http.host, config.http.port);
      stops.push(() => closeServer(http.server));
      port = http.port;
    }
    logger.info(
      { mode, host: config.http.host, port, metricsPort: ops.port, sandbox: config.sandbox.driver, console: consoleOn },
      'ci_fixer_started',
    );

    let stopping: Promise<void> | undefined;
    return { port, metricsPort: ops.port, stop: () => (stopping ??= stopAll()) };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export async function main(argv: string[]): Promise<void> {
  const mode = (argv[0] ?? 'all') as Mode;
  if (!MODES.includes(mode)) {
    process.stderr.write(`usage: ci-fixer <${MODES.join('|')}>\n`);
    process.exitCode = 2;
    return;
  }
  let config: Config;
  try {
    config = loadConfig(process.env, mode);
  } catch (err) {
    process.stderr.write(`ci-fixer: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
    return;
  }
  // Every configured secret is hidden in the process log too, not only in task logs.
  const logger = createLogger(config.logLevel, undefined, { secrets: config.secrets });
  let runtime: Runtime;
  try {
    runtime = await startRuntime(mode, config, logger);
  } catch (err) {
    logger.fatal({ err }, 'startup_failed');
    process.exitCode = 1;
    // startRuntime stopped what it started; should anything still hold the event loop, a process
    // that cannot serve must still exit, so its supervisor restarts it at once.
    setTimeout(() => process.exit(1), 5_000).unref();
    return;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'shutdown_forced');
      process.exit(1);
    }
    logger.info({ signal }, 'shutdown_started');
    runtime.stop().then(
      () => {
        logger.info('shutdown_complete');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown_failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main(process.argv.slice(2));
}
