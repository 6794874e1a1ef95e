// The only place that reads the environment. Every variable has a comment and a default; the
// README's configuration table is checked against CONFIG_DOCS by a unit test.
import { z } from 'zod';
import { type ApiToken, parseApiTokens } from './shared/api-tokens.js';
import { ConfigError } from './errors.js';

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
/** `key=value,key2=value2`: the sandbox pod's nodeSelector. */
const nodeSelector = list.transform((items, ctx) => {
  const out: Record<string, string> = {};
  for (const item of items) {
    const [key = '', value, ...rest] = item.split('=');
    if (value === undefined || rest.length > 0 || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
      ctx.addIssue({ code: 'custom', message: `expected label=value, got ${JSON.stringify(item)}` });
      return z.NEVER;
    }
    out[key] = value;
  }
  return out;
});
export interface SandboxToleration {
  key: string;
  operator: 'Equal' | 'Exists';
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}
/** `key=value:Effect` or `key:Effect` (any value), comma-separated: the sandbox pod's tolerations. */
const tolerations = list.transform((items, ctx) => {
  const out: SandboxToleration[] = [];
  for (const item of items) {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(item);
    if (m === null || !LABEL_KEY.test(m[1] as string) || (m[2] !== undefined && !LABEL_VALUE.test(m[2]))) {
      ctx.addIssue({ code: 'custom', message: `expected key=value:Effect or key:Effect, got ${JSON.stringify(item)}` });
      return z.NEVER;
    }
    const effect = m[3] as SandboxToleration['effect'];
    out.push(
      m[2] === undefined
        ? { key: m[1] as string, operator: 'Exists', effect }
        : { key: m[1] as string, operator: 'Equal', value: m[2], effect },
    );
  }
  return out;
});

/** name -> [zod type, description]. Order here is the order of the README table. */
const fields = {
  NODE_ENV: [
    z.enum(['development', 'production', 'test']).default('development'),
    'Runtime mode. `production` refuses unsafe defaults (dev token, implicit local sandbox, embedded Redis).',
  ],
  LOG_LEVEL: [
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    'pino log level.',
  ],
  HOST: [
    optionalString,
    'Address the HTTP server binds to. Unset: `0.0.0.0`, but `127.0.0.1` while the API runs on the dev token.',
  ],
  ALLOWED_HOSTS: [
    list,
    'Extra Host header names served while the API is on loopback or the dev token (then only `localhost`, `127.0.0.1`, `[::1]` and the PUBLIC_URL host are: a DNS-rebinding guard).',
  ],
  PORT: [int(3001, 0, 65535), 'Port of the intake API (`api` and `all` modes).'],
  METRICS_PORT: [
    int(9464, 0, 65535),
    'Port of /healthz, /readyz and /metrics, in every mode (the API port serves no /metrics). Keep it cluster-internal.',
  ],
  PUBLIC_URL: [optionalString, 'Absolute base URL used in `statusUrl`/`logsUrl`; relative paths when unset.'],
  API_TOKENS: [
    list,
    'Comma-separated bearer tokens accepted by the API: `token` (every scope) or `name:token:scope+scope[:repos]` with scopes `submit`, `read:own`, `read:all`, `cancel` (`name:token` alone: every scope); `repos` is `|`-separated `host/owner/name` patterns (`*` within one segment) the token may submit, e.g. `alice:s3cret:submit+read:own:github.com/alice-org/*`. GIT_TOKEN is attached only to tasks of tokens with repository patterns, or of a single bare token. Tasks record the submitting name. Unset outside production: `dev-token`, with a warning.',
  ],
  API_RATE_LIMIT_PER_MINUTE: [
    int(600, 0),
    'Task submissions per API token per minute (shared across API replicas through Redis); 429 with Retry-After above it. 0: no limit.',
  ],
  MAX_QUEUED_TASKS: [
    int(1000, 0),
    'Queued (not yet running) tasks above which `POST /api/v1/tasks` answers 429 with Retry-After. 0: no cap.',
  ],
  WEBHOOK_MAX_QUEUED_TASKS: [
    int(2000, 0),
    'The same cap for GitHub webhook deliveries, which get 503 (GitHub redelivers); higher, so API clients cannot crowd out CI failures. 0: no cap.',
  ],
  API_BODY_LIMIT_BYTES: [int(1024 * 1024, 1024), 'Largest accepted request body.'],
  CONSOLE_ENABLED: [
    bool(true),
    'Serve the web console at `/` and Bull Board at `/admin/queues` (API process; sign in with an API token).',
  ],
  REDIS_URL: [
    optionalString,
    'Redis connection URL. Unset outside production: an embedded `redis-server` child on a free port.',
  ],
  REDIS_PASSWORD: [
    optionalString,
    'Password for REDIS_URL when the URL carries none; redacted like every secret. The chart sets it for its bundled Redis.',
  ],
  REDIS_API_TIMEOUT_MS: [
    int(3000, 100, 60_000),
    'Longest wait of the API for one Redis command; during an outage requests get 503 after it, and it recovers by itself.',
  ],
  REDIS_EMBEDDED_DIR: [z.string().default('.data/redis'), 'Data folder of the embedded Redis (git-ignored).'],
  QUEUE_NAME: [
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('fix-tasks'),
    'BullMQ queue name.',
  ],
  QUEUE_PREFIX: [
    z
      .string()
      .regex(/^[A-Za-z0-9_:-]+$/)
      .default('ci-fixer'),
    'Prefix of every Redis key ci-fixer writes.',
  ],
  TASK_RETENTION_SECONDS: [int(7 * 24 * 3600, 60), 'How long finished tasks, results and logs stay pollable.'],
  TASK_UNFINISHED_TTL_SECONDS: [
    int(30 * 24 * 3600, 7 * 3600),
    'Backstop TTL of a task record that is not final, refreshed on each write (a record whose worker vanished still expires).',
  ],
  TASK_ATTEMPTS: [int(3, 1, 20), 'Attempts per task for infrastructure errors (task errors are never retried).'],
  TASK_BACKOFF_MS: [int(5000, 0), 'First retry delay; doubles on each further attempt.'],
  TASK_DEFAULT_TIMEOUT_SECONDS: [int(900, 10, 6 * 3600), 'Task time budget when the request sets none.'],
  TASK_LOG_MAX_LINES: [int(10_000, 10), 'Log lines kept per task; a truncation marker follows the last one.'],
  TASK_LOG_MAX_BYTES: [int(5 * 1024 * 1024, 1024), 'Log bytes kept per task.'],
  PATCH_MAX_BYTES: [int(1024 * 1024, 1024), 'Largest patch stored with a result; larger ones are cut and flagged.'],
  INTAKE_BATCH_MAX: [int(64, 1, 1000), 'Most tasks written to Redis in one round trip by the intake micro-batcher.'],
  WORKER_CONCURRENCY: [int(2, 1, 256), 'Tasks one worker process runs at once.'],
  MAX_CONCURRENT_SANDBOXES: [
    int(10, 1, 10_000),
    'Tasks running at once across all workers (BullMQ global concurrency).',
  ],
  WORKER_DRAIN_SECONDS: [int(60, 0, 3600), 'On SIGTERM, how long active tasks may finish before the worker exits.'],
  WORKER_LOCK_MS: [int(30_000, 1000), 'Job lock duration; a worker that dies loses its tasks to others after this.'],
  CAPACITY_WAIT_MAX_SECONDS: [
    int(1800, 0, 24 * 3600),
    "Longest total wait for sandbox capacity (a full quota); then the task fails with the quota's message.",
  ],
  WORKER_STALLED_INTERVAL_MS: [int(30_000, 1000), 'How often workers look for tasks whose worker died.'],
  SANDBOX_DRIVER: [
    z.enum(['auto', 'local', 'kubernetes']).default('auto'),
    '`auto`: kubernetes when KUBECONFIG or in-cluster config is present, else local (no isolation).',
  ],
  ALLOW_LOCAL_DRIVER_WITH_CREDENTIALS: [
    bool(false),
    "Let a worker on the local driver (no isolation: task code can read the worker's memory and environment) start with GITHUB_APP_PRIVATE_KEY or GITHUB_PERSONAL_TOKEN set. Only for your own repositories.",
  ],
  SANDBOX_LOCAL_DIR: [optionalString, 'Parent folder of local sandboxes (default: the OS temp folder).'],
  KUBECONFIG: [optionalString, 'Kubeconfig path for the kubernetes driver; in-cluster config when unset.'],
  KUBERNETES_SERVICE_HOST: [optionalString, 'Set by Kubernetes inside a pod; selects in-cluster config.'],
  SANDBOX_NAMESPACE: [
    optionalString,
    'Namespace where sandbox Jobs run. Unset: `POD_NAMESPACE`, else `default`. The chart sets it only for a dedicated sandbox namespace.',
  ],
  POD_NAMESPACE: [
    optionalString,
    "The pod's own namespace, set by the chart and k8s/ manifests through the downward API; where sandboxes run when `SANDBOX_NAMESPACE` is unset (the guide's layout: everything in one namespace).",
  ],
  SANDBOX_INSTANCE: [
    z
      .string()
      .max(63)
      .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'must be a Kubernetes label value')
      .default('ci-fixer'),
    "Names this install on its sandbox Jobs and pods (label `ci-fixer.dev/instance`). The reaper and the pod watch see only Jobs and pods with this value, so installs sharing a sandbox namespace never delete or count each other's; give each such install its own. The chart sets the release name.",
  ],
  SANDBOX_IMAGE: [
    z.string().default('nikolaik/python-nodejs:python3.11-nodejs20-bullseye'),
    'Sandbox container image.',
  ],
  SANDBOX_CPU_REQUEST: [z.string().default('100m'), 'Sandbox CPU request.'],
  SANDBOX_CPU_LIMIT: [z.string().default('500m'), 'Sandbox CPU limit.'],
  SANDBOX_MEMORY_REQUEST: [z.string().default('256Mi'), 'Sandbox memory request.'],
  SANDBOX_MEMORY_LIMIT: [z.string().default('1Gi'), 'Sandbox memory limit.'],
  SANDBOX_EPHEMERAL_STORAGE_LIMIT: [
    z.string().default('4Gi'),
    'Sandbox ephemeral-storage limit (also the workspace sizeLimit).',
  ],
  SANDBOX_NODE_SELECTOR: [
    nodeSelector,
    "Comma-separated `label=value` pairs the sandbox pods' nodes must carry (e.g. dedicated sandbox nodes). Unset: any node.",
  ],
  SANDBOX_TOLERATIONS: [
    tolerations,
    'Comma-separated taints sandbox pods tolerate: `key=value:Effect`, or `key:Effect` for any value. Pair with SANDBOX_NODE_SELECTOR to keep other pods off sandbox nodes.',
  ],
  SANDBOX_READY_TIMEOUT_SECONDS: [int(300, 5), 'Longest wait for a sandbox pod to become ready.'],
  SANDBOX_IMAGE_PULL_GRACE_SECONDS: [int(30, 0), 'How long an image pull failure may persist before the task fails.'],
  SANDBOX_UNSCHEDULABLE_GRACE_SECONDS: [int(120, 0), 'How long a sandbox pod may stay unschedulable.'],
  REAPER_INTERVAL_SECONDS: [int(60, 1), 'How often orphaned sandbox Jobs are looked for.'],
  SANDBOX_MAX_AGE_SECONDS: [int(8 * 3600, 60), 'Sandbox Jobs older than this are deleted regardless of task state.'],
  GIT_TOKEN: [
    optionalString,
    'Token for cloning private https repositories; sent per command as an HTTP header, never stored. Only API tasks whose token has repository patterns (see API_TOKENS) or a single bare token, and webhook tasks, get it; an unscoped named tenant never does.',
  ],
  GIT_TOKEN_HOSTS: [
    list,
    'Comma-separated hosts (`host[:port]`) GIT_TOKEN is sent to; any other repository is cloned without it. Unset: GITHUB_GIT_HOST.',
  ],
  // A Git server behind a private CA (an internal GitLab, a mirror): the sandbox image's own
  // bundle stays trusted, these certificates are added for the clone and fetch only.
  GIT_CA_FILE: [
    optionalString,
    "Path, in the worker, of a PEM bundle of extra CAs that git in the sandbox trusts for clones and fetches, added to the sandbox image's system bundle. Unset: the system bundle only.",
  ],
  REDACT: [list, 'Extra comma-separated strings to redact from task logs and the process log.'],
  // GitHub intake (POST /webhooks/github) and reporting. Webhook tasks run without these; only
  // check runs and fix pull requests need credentials (an App, or a personal token).
  GITHUB_WEBHOOK_SECRETS: [
    list,
    'Comma-separated webhook secrets; several are accepted while one is rotated. Unset: every delivery is refused (401), with a startup warning.',
  ],
  GITHUB_WEBHOOK_BODY_LIMIT_BYTES: [
    int(1024 * 1024, 1024),
    'Largest accepted webhook delivery (413 above); real payloads are tens of KB, and the body is read before its signature can be checked.',
  ],
  GITHUB_WEBHOOK_MAX_UNVERIFIED: [
    int(16, 1),
    'Webhook deliveries whose body is read and checked at once; more answer 503 with Retry-After (GitHub redelivers), so unsigned uploads cannot hold much memory.',
  ],
  GITHUB_ALLOW: [
    list,
    'Comma-separated repositories (`owner/repo`) and organisations (`owner`) whose failures become tasks; empty allows all.',
  ],
  GITHUB_API_URL: [
    z.string().url().default('https://api.github.com'),
    'GitHub REST API base URL (GitHub Enterprise: `https://HOST/api/v3`).',
  ],
  GITHUB_GIT_HOST: [
    optionalString,
    'Host (`host[:port]`) GitHub serves git from; a GitHub task whose clone URL is elsewhere gets no token. Unset: `github.com` for the public API, else the host of GITHUB_API_URL.',
  ],
  GITHUB_APP_ID: [optionalString, 'GitHub App id; with GITHUB_APP_PRIVATE_KEY, tasks use per-installation tokens.'],
  GITHUB_APP_PRIVATE_KEY: [optionalString, 'GitHub App private key (PEM; `\\n` escapes allowed).'],
  GITHUB_PERSONAL_TOKEN: [
    optionalString,
    'Personal access token used instead of an App. Used by the worker only; sandbox clones use GIT_TOKEN.',
  ],
  GITHUB_CHECK_NAME: [
    z.string().min(1).max(100).default('ci-fixer'),
    'Name of the check run reported on the failing commit.',
  ],
  GITHUB_CHECK_RUNS: [bool(true), 'Report each GitHub task as a check run on its head sha.'],
  GITHUB_FIX_PULL_REQUESTS: [
    bool(true),
    'On `fixed`, push a `ci-fixer/...` branch and open a pull request into the failing branch.',
  ],
  GITHUB_PR_COMMENTS: [bool(true), 'On `fixed`, comment on the failing pull request with the patch.'],
  FORK_TIMEOUT_SECONDS: [
    int(600, 10, 6 * 3600),
    "Most sandbox time a failure from a fork's pull request gets, whatever its .ci-fixer.yml says (fork authors control that file).",
  ],
  FORK_ALLOW_SETUP: [
    bool(false),
    "Run the `setup` steps of a fork's .ci-fixer.yml; by default they are ignored (the command still runs).",
  ],
  GITHUB_ALLOW_WORKFLOW_CHANGES: [bool(false), 'Allow fixes that change files under `.github/workflows/`.'],
  GITHUB_REPORT_ATTEMPTS: [
    int(3, 1, 10),
    'Attempts to report a task back to GitHub; the task keeps its result either way.',
  ],
  GITHUB_REQUEST_TIMEOUT_MS: [int(10_000, 100), 'Timeout of one GitHub API request.'],
  GITHUB_GIT_TIMEOUT_SECONDS: [int(300, 5), 'Timeout of one worker-side git command (fetch, push).'],
  // The model-backed fixer (src/fixer/agent/): an agent on any OpenAI-compatible endpoint, tried
  // when no deterministic fixer makes the command pass. Off unless LLM_BASE_URL is set. The budgets
  // are per task; a repository's .ci-fixer.yml may lower them, never raise them.
  LLM_BASE_URL: [
    optionalString.pipe(z.string().url().optional()),
    'OpenAI-compatible API base URL, e.g. `http://127.0.0.1:11434/v1` (Ollama) or `http://vllm:8000/v1`. Unset: the model fixer is off.',
  ],
  LLM_API_KEY: [
    optionalString,
    'API key sent to the model endpoint (a secret: kept in the worker, redacted everywhere). Local servers often need none.',
  ],
  LLM_MODEL: [
    optionalString,
    'Model name as the endpoint knows it, e.g. `qwen2.5-coder:14b`. Required with LLM_BASE_URL.',
  ],
  LLM_MAX_STEPS: [int(30, 1, 500), 'Model calls per task (every turn of the agent counts one).'],
  LLM_MAX_TOKENS: [int(300_000, 1000), 'Prompt plus completion tokens per task.'],
  LLM_MAX_WALL_SECONDS: [int(600, 10, 6 * 3600), 'Wall time of the model fixer per task, verification runs included.'],
  LLM_MAX_ATTEMPTS: [
    int(3, 1, 20),
    'Verification attempts per task: after a failed one the model sees the new output and tries again.',
  ],
  LLM_CONTEXT_TOKENS: [
    int(32_000, 2000),
    "The model's context window; older tool outputs are trimmed to stay inside it.",
  ],
  LLM_REQUEST_TIMEOUT_MS: [int(120_000, 1000), 'Timeout of one model request.'],
  LLM_MAX_COMPLETION_TOKENS: [
    int(4096, 16),
    'Sent as `max_tokens` on every model request: the longest answer one turn may produce (a runaway generation costs time and tokens).',
  ],
  LLM_MAX_RESPONSE_BYTES: [
    int(4 * 1024 * 1024, 64 * 1024),
    'Largest model response body read; a bigger answer fails the request (model_unavailable) instead of filling the worker memory.',
  ],
  LLM_MAX_RETRIES: [
    int(3, 0, 10),
    'Retries of a model request on 429, 5xx, timeouts and connection errors (exponential backoff, Retry-After honoured up to 60 s).',
  ],
  LLM_PATCH_MAX_BYTES: [
    int(64 * 1024, 256),
    'Largest patch the model fixer may make; an edit or command that goes over it is undone.',
  ],
  LLM_RUN_TIMEOUT_SECONDS: [int(120, 1, 3600), 'Timeout of one command the model runs with its `run` tool.'],
} as const;

type Fields = typeof fields;
const schema = z.object(
  Object.fromEntries(Object.entries(fields).map(([k, [type]]) => [k, type])) as {
    [K in keyof Fields]: Fields[K][0];
  },
);
type Env = z.infer<typeof schema>;

export const CONFIG_DOCS: ReadonlyArray<{ name: string; description: string; default: string }> = Object.entries(
  fields,
).map(([name, [type, description]]) => {
  const parsed = (type as z.ZodType).safeParse(undefined);
  const value = parsed.success ? parsed.data : undefined;
  const def = value === undefined ? '' : Array.isArray(value) ? value.join(',') : String(value);
  return { name, description, default: def };
});

export const DEV_API_TOKEN = 'dev-token';

/** The git host of a GitHub REST API: github.com for api.github.com, else the API's own host (Enterprise). */
export function githubHost(apiUrl: string): string {
  const host = new URL(apiUrl).host.toLowerCase();
  return host === 'api.github.com' ? 'github.com' : host;
}

export interface Config {
  env: Env['NODE_ENV'];
  production: boolean;
  logLevel: Env['LOG_LEVEL'];
  http: {
    host: string;
    port: number;
    metricsPort: number;
    publicUrl: string | undefined;
    bodyLimitBytes: number;
    allowedHosts: string[];
  };
  auth: { tokens: ApiToken[]; usingDevToken: boolean };
  limits: { perTokenPerMinute: number; maxQueued: number; webhookMaxQueued: number };
  console: { enabled: boolean };
  redis: { url: string | undefined; embeddedDir: string; apiTimeoutMs: number };
  queue: {
    name: string;
    prefix: string;
    retentionSeconds: number;
    unfinishedTtlSeconds: number;
    attempts: number;
    backoffMs: number;
    batchMax: number;
  };
  tasks: { defaultTimeoutSeconds: number; logMaxLines: number; logMaxBytes: number; patchMaxBytes: number };
  worker: {
    concurrency: number;
    maxConcurrentSandboxes: number;
    drainSeconds: number;
    lockMs: number;
    stalledIntervalMs: number;
    capacityWaitMaxSeconds: number;
  };
  sandbox: {
    driver: 'local' | 'kubernetes';
    explicit: boolean;
    local: { dir: string | undefined; allowWithCredentials: boolean };
    kubernetes: {
      kubeconfig: string | undefined;
      inCluster: boolean;
      namespace: string;
      /** SANDBOX_INSTANCE: this install's value of the instance label on its Jobs and pods. */
      instance: string;
      image: string;
      resources: {
        cpuRequest: string;
        cpuLimit: string;
        memoryRequest: string;
        memoryLimit: string;
        ephemeralStorage: string;
      };
      nodeSelector: Record<string, string>;
      tolerations: SandboxToleration[];
      readyTimeoutSeconds: number;
      imagePullGraceSeconds: number;
      unschedulableGraceSeconds: number;
      reaperIntervalSeconds: number;
      maxAgeSeconds: number;
    };
  };
  git: { token: string | undefined; tokenHosts: string[]; caFile: string | undefined };
  github: {
    webhookSecrets: string[];
    webhookBodyLimitBytes: number;
    webhookMaxUnverified: number;
    allow: string[];
    apiUrl: string;
    /** GITHUB_APP_ID, also in api mode, where the key is not needed. */
    appId: string | undefined;
    /** Where GitHub serves git (clone URLs of GitHub tasks must be there). */
    gitHost: string;
    app: { id: string; privateKey: string } | undefined;
    personalToken: string | undefined;
    checkName: string;
    checkRuns: boolean;
    fixPullRequests: boolean;
    prComments: boolean;
    allowWorkflowChanges: boolean;
    forkTimeoutSeconds: number;
    forkAllowSetup: boolean;
    reportAttempts: number;
    requestTimeoutMs: number;
    gitTimeoutSeconds: number;
  };
  /** The model-backed fixer; undefined when LLM_BASE_URL is unset (the fixer is off). */
  llm: LlmSettings | undefined;
  /** Every configured secret; redacted from task logs and never logged. */
  secrets: string[];
}

/** A redis:// or rediss:// URL; ioredis also takes a unix socket path, which carries no password. */
function parseRedisUrl(url: string | undefined): URL | undefined {
  return url !== undefined && /^rediss?:\/\//.test(url) ? new URL(url) : undefined;
}

function redisUrlWithPassword(url: string | undefined, password: string | undefined): string | undefined {
  const parsed = parseRedisUrl(url);
  if (parsed === undefined || password === undefined) return url;
  if (parsed.password !== '') return url;
  parsed.password = password;
  return parsed.toString();
}

/** The Redis password, wherever it was given: a task that echoes it has it redacted. */
function redisPasswords(url: string | undefined, password: string | undefined): string[] {
  const fromUrl = decodeURIComponent(parseRedisUrl(url)?.password ?? '');
  return [...new Set([fromUrl, password ?? ''].filter((p) => p !== ''))];
}

/** Which process reads the config: a worker needs no API tokens, so production does not ask for them. */
export type ConfigMode = 'api' | 'worker' | 'all';

export interface LlmSettings {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  budgets: { maxSteps: number; maxTokens: number; maxWallSeconds: number; maxAttempts: number };
  contextTokens: number;
  requestTimeoutMs: number;
  maxRetries: number;
  maxCompletionTokens: number;
  maxResponseBytes: number;
  patchMaxBytes: number;
  runTimeoutMs: number;
}

function llmSettings(e: Env): LlmSettings | undefined {
  if (e.LLM_BASE_URL === undefined) return undefined;
  if (e.LLM_MODEL === undefined) throw new ConfigError('LLM_MODEL is required when LLM_BASE_URL is set');
  return {
    baseUrl: e.LLM_BASE_URL.replace(/\/+$/, ''),
    apiKey: e.LLM_API_KEY,
    model: e.LLM_MODEL,
    budgets: {
      maxSteps: e.LLM_MAX_STEPS,
      maxTokens: e.LLM_MAX_TOKENS,
      maxWallSeconds: e.LLM_MAX_WALL_SECONDS,
      maxAttempts: e.LLM_MAX_ATTEMPTS,
    },
    contextTokens: e.LLM_CONTEXT_TOKENS,
    requestTimeoutMs: e.LLM_REQUEST_TIMEOUT_MS,
    maxRetries: e.LLM_MAX_RETRIES,
    maxCompletionTokens: e.LLM_MAX_COMPLETION_TOKENS,
    maxResponseBytes: e.LLM_MAX_RESPONSE_BYTES,
    patchMaxBytes: e.LLM_PATCH_MAX_BYTES,
    runTimeoutMs: e.LLM_RUN_TIMEOUT_SECONDS * 1000,
  };
}

export function loadConfig(source: Record<string, string | undefined> = process.env, mode: ConfigMode = 'all'): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`, { cause: parsed.error });
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';

  if (production && mode !== 'worker' && e.API_TOKENS.length === 0)
    throw new ConfigError('API_TOKENS is required when NODE_ENV=production');
  if (production && e.REDIS_URL === undefined) throw new ConfigError('REDIS_URL is required when NODE_ENV=production');
  const inCluster = e.KUBERNETES_SERVICE_HOST !== undefined;
  const driver =
    e.SANDBOX_DRIVER === 'auto' ? (e.KUBECONFIG !== undefined || inCluster ? 'kubernetes' : 'local') : e.SANDBOX_DRIVER;
  if (production && driver === 'local' && e.SANDBOX_DRIVER !== 'local') {
    throw new ConfigError(
      'no Kubernetes configured and NODE_ENV=production: set SANDBOX_DRIVER=local explicitly to accept running tasks without isolation',
    );
  }
  // The API only needs the App's id (to recognise its own check runs); the key stays with the worker.
  const keyNeeded = mode !== 'api' || e.GITHUB_APP_PRIVATE_KEY !== undefined;
  if (keyNeeded && (e.GITHUB_APP_ID === undefined) !== (e.GITHUB_APP_PRIVATE_KEY === undefined)) {
    throw new ConfigError('GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY must be set together');
  }
  const githubApp =
    e.GITHUB_APP_ID !== undefined && e.GITHUB_APP_PRIVATE_KEY !== undefined
      ? { id: e.GITHUB_APP_ID, privateKey: e.GITHUB_APP_PRIVATE_KEY.replace(/\\n/g, '\n') }
      : undefined;
  const gitHost = (e.GITHUB_GIT_HOST ?? githubHost(e.GITHUB_API_URL)).toLowerCase();
  // A worker serves no API: without tokens it has none, rather than the dev token's loopback default.
  const usingDevToken = e.API_TOKENS.length === 0 && mode !== 'worker';
  // The dev token is the one-user setup (loopback only), like a single bare token.
  const tokens = usingDevToken
    ? parseApiTokens([`dev:${DEV_API_TOKEN}`]).map((t) => ({ ...t, singleUser: true }))
    : parseApiTokens(e.API_TOKENS);

  return {
    env: e.NODE_ENV,
    production,
    logLevel: e.LOG_LEVEL,
    // The dev token is public knowledge and the local sandbox runs commands unisolated: with both,
    // listening beyond loopback would hand this machine to anyone on the network.
    http: {
      host: e.HOST ?? (usingDevToken ? '127.0.0.1' : '0.0.0.0'),
      port: e.PORT,
      metricsPort: e.METRICS_PORT,
      publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
      bodyLimitBytes: e.API_BODY_LIMIT_BYTES,
      allowedHosts: e.ALLOWED_HOSTS,
    },
    auth: { tokens, usingDevToken },
    limits: {
      perTokenPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      maxQueued: e.MAX_QUEUED_TASKS,
      webhookMaxQueued: e.WEBHOOK_MAX_QUEUED_TASKS,
    },
    console: { enabled: e.CONSOLE_ENABLED },
    redis: {
      url: redisUrlWithPassword(e.REDIS_URL, e.REDIS_PASSWORD),
      embeddedDir: e.REDIS_EMBEDDED_DIR,
      apiTimeoutMs: e.REDIS_API_TIMEOUT_MS,
    },
    queue: {
      name: e.QUEUE_NAME,
      prefix: e.QUEUE_PREFIX,
      retentionSeconds: e.TASK_RETENTION_SECONDS,
      unfinishedTtlSeconds: e.TASK_UNFINISHED_TTL_SECONDS,
      attempts: e.TASK_ATTEMPTS,
      backoffMs: e.TASK_BACKOFF_MS,
      batchMax: e.INTAKE_BATCH_MAX,
    },
    tasks: {
      defaultTimeoutSeconds: e.TASK_DEFAULT_TIMEOUT_SECONDS,
      logMaxLines: e.TASK_LOG_MAX_LINES,
      logMaxBytes: e.TASK_LOG_MAX_BYTES,
      patchMaxBytes: e.PATCH_MAX_BYTES,
    },
    worker: {
      concurrency: e.WORKER_CONCURRENCY,
      maxConcurrentSandboxes: e.MAX_CONCURRENT_SANDBOXES,
      drainSeconds: e.WORKER_DRAIN_SECONDS,
      lockMs: e.WORKER_LOCK_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      capacityWaitMaxSeconds: e.CAPACITY_WAIT_MAX_SECONDS,
    },
    sandbox: {
      driver,
      explicit: e.SANDBOX_DRIVER !== 'auto',
      local: { dir: e.SANDBOX_LOCAL_DIR, allowWithCredentials: e.ALLOW_LOCAL_DRIVER_WITH_CREDENTIALS },
      kubernetes: {
        kubeconfig: e.KUBECONFIG,
        inCluster,
        namespace: e.SANDBOX_NAMESPACE ?? e.POD_NAMESPACE ?? 'default',
        instance: e.SANDBOX_INSTANCE,
        image: e.SANDBOX_IMAGE,
        resources: {
          cpuRequest: e.SANDBOX_CPU_REQUEST,
          cpuLimit: e.SANDBOX_CPU_LIMIT,
          memoryRequest: e.SANDBOX_MEMORY_REQUEST,
          memoryLimit: e.SANDBOX_MEMORY_LIMIT,
          ephemeralStorage: e.SANDBOX_EPHEMERAL_STORAGE_LIMIT,
        },
        nodeSelector: e.SANDBOX_NODE_SELECTOR,
        tolerations: e.SANDBOX_TOLERATIONS,
        readyTimeoutSeconds: e.SANDBOX_READY_TIMEOUT_SECONDS,
        imagePullGraceSeconds: e.SANDBOX_IMAGE_PULL_GRACE_SECONDS,
        unschedulableGraceSeconds: e.SANDBOX_UNSCHEDULABLE_GRACE_SECONDS,
        reaperIntervalSeconds: e.REAPER_INTERVAL_SECONDS,
        maxAgeSeconds: e.SANDBOX_MAX_AGE_SECONDS,
      },
    },
    git: {
      token: e.GIT_TOKEN,
      tokenHosts: e.GIT_TOKEN_HOSTS.length > 0 ? e.GIT_TOKEN_HOSTS : [gitHost],
      caFile: e.GIT_CA_FILE,
    },
    github: {
      webhookSecrets: e.GITHUB_WEBHOOK_SECRETS,
      webhookBodyLimitBytes: e.GITHUB_WEBHOOK_BODY_LIMIT_BYTES,
      webhookMaxUnverified: e.GITHUB_WEBHOOK_MAX_UNVERIFIED,
      allow: e.GITHUB_ALLOW,
      apiUrl: e.GITHUB_API_URL.replace(/\/+$/, ''),
      gitHost,
      appId: e.GITHUB_APP_ID,
      app: githubApp,
      personalToken: e.GITHUB_PERSONAL_TOKEN,
      checkName: e.GITHUB_CHECK_NAME,
      checkRuns: e.GITHUB_CHECK_RUNS,
      fixPullRequests: e.GITHUB_FIX_PULL_REQUESTS,
      prComments: e.GITHUB_PR_COMMENTS,
      allowWorkflowChanges: e.GITHUB_ALLOW_WORKFLOW_CHANGES,
      forkTimeoutSeconds: e.FORK_TIMEOUT_SECONDS,
      forkAllowSetup: e.FORK_ALLOW_SETUP,
      reportAttempts: e.GITHUB_REPORT_ATTEMPTS,
      requestTimeoutMs: e.GITHUB_REQUEST_TIMEOUT_MS,
      gitTimeoutSeconds: e.GITHUB_GIT_TIMEOUT_SECONDS,
    },
    llm: llmSettings(e),
    secrets: [
      ...redisPasswords(e.REDIS_URL, e.REDIS_PASSWORD),
      ...(usingDevToken ? [] : tokens.map((t) => t.token)),
      ...(e.GIT_TOKEN ? [e.GIT_TOKEN] : []),
      ...e.REDACT,
      ...e.GITHUB_WEBHOOK_SECRETS,
      ...(e.GITHUB_PERSONAL_TOKEN ? [e.GITHUB_PERSONAL_TOKEN] : []),
      ...(githubApp ? [githubApp.privateKey] : []),
      ...(e.LLM_API_KEY ? [e.LLM_API_KEY] : []),
    ],
  };
}
