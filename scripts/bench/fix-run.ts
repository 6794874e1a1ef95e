// bench:fix's runner: cases through the real ci-fixer API and worker (built processes, local
// sandbox, the Redis on `redisUrl` under a queue prefix of its own), a few tasks at a time over
// HTTP, each `fixed` checked for a false fix. The CLI (fix.ts) and the model mode (fix-model.ts,
// also run by an e2e test) call it; the tables are fix-report.ts's.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { FIXERS } from '../../src/fixer/fixers/index.js';
import { contentPaths, judgePatch, parseUnifiedDiff } from '../../src/fixer/guard/index.js';
import type { TaskRecord } from '../../src/task.js';
import { scrubbedEnv } from '../lib/child-env.js';
// The e2e tests' process runner and HTTP client: the same way of starting built ci-fixer processes.
import { startCiFixer, type CiFixerProcess } from '../../test/support/ci-fixer-process.js';
import { taskClient, TERMINAL } from '../../test/support/task-client.js';
import { commitPatch } from '../lib/apply-patch.js';
import { buildCase, kindOf, type BenchCase } from './corpus/index.js';
import { noisyFiles, type CaseResult } from './fix-report.js';

export interface BenchRunOptions {
  cases: readonly BenchCase[];
  concurrency: number;
  taskTimeoutSeconds: number;
  redisUrl: string;
  /** More environment for the ci-fixer processes (the model endpoint, in model mode). */
  env?: Record<string, string>;
  /** Progress lines (default: stderr). */
  progress?: (line: string) => void;
}

export interface BenchRun {
  results: CaseResult[];
  totalMs: number;
}

function sh(command: string, cwd: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const env = scrubbedEnv({ npm_config_yes: 'true', npm_config_update_notifier: 'false' });
    execFile('sh', ['-c', command], { cwd, env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err) =>
      resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : -1),
    );
  });
}

/**
 * Why a `fixed` result is false, or null when its patch holds up on a clean copy: the pipeline's
 * own definition (src/fixer/guard/: the patch weakens nothing the check checks, test files
 * included for the model), then the command on a clean copy with the patch.
 */
async function falseFixReason(
  c: BenchCase,
  patch: string,
  fixers: readonly string[],
  scratch: string,
  timeoutMs: number,
): Promise<string | null> {
  const clean = await buildCase(scratch, c);
  const files = parseUnifiedDiff(patch);
  const before = new Map<string, string | null>();
  for (const file of contentPaths(files))
    before.set(file, await readFile(path.join(clean.dir, file), 'utf8').catch(() => null));
  const model = fixers.includes('model');
  const refused = judgePatch(files, before, { command: c.command, testFiles: new Set(), model, protectTests: model });
  if (refused.length > 0)
    return `the patch weakens the check: ${refused.map((r) => `${r.path} [${r.rule}]`).join(', ')}`;
  try {
    // Committed, as CI checks a fix: `git diff --exit-code` in the command then sees a clean tree.
    await commitPatch(clean.dir, patch);
  } catch (err) {
    return `patch does not apply to a clean copy: ${(err as Error).message}`;
  }
  const exitCode = await sh(c.command, clean.dir, timeoutMs);
  return exitCode === 0 ? null : `the command still fails (exit ${exitCode}) on a clean copy with the patch`;
}

function measure(c: BenchCase, record: TaskRecord): Omit<CaseResult, 'falseFix' | 'logTail' | 'patchStats' | 'noisy'> {
  const result = record.result;
  const outcome =
    record.state === 'succeeded' && result ? result.outcome : `${record.state}:${record.error?.code ?? '?'}`;
  const fixers = result?.fixers ?? (result?.fixer ? [result.fixer] : []);
  const wallMs =
    record.startedAt && record.finishedAt ? Date.parse(record.finishedAt) - Date.parse(record.startedAt) : NaN;
  const commands = result?.commands ?? [];
  const commandsMs = commands.reduce((sum, cmd) => sum + cmd.durationMs, 0);
  // One run of the whole command: the passing proof of a fix (a failing reproduction may stop at
  // its first step), else the reproduction.
  const runs = commands.filter((cmd) => cmd.command === c.command);
  const commandRunMs = (outcome === 'fixed' ? runs.at(-1) : runs[0])?.durationMs ?? NaN;
  // The proof's commands come last, from its own clone on (the second clone of the task).
  const clones = commands.flatMap((cmd, i) => (cmd.command.startsWith('git clone ') ? [i] : []));
  const proofMs =
    result?.proof && clones.length >= 2 ? commands.slice(clones[1]).reduce((sum, cmd) => sum + cmd.durationMs, 0) : NaN;
  const expectedFixers = [...(c.expect.fixers ?? [])].sort().join(',');
  const asExpected =
    outcome === c.expect.outcome && (c.expect.outcome !== 'fixed' || expectedFixers === [...fixers].sort().join(','));
  const reason = result?.reason ?? record.error?.message ?? null;
  return {
    case: c,
    kind: kindOf(c),
    outcome,
    fixers,
    asExpected,
    wallMs,
    commandsMs,
    commandRunMs,
    proofMs,
    reason,
    model: result?.model ?? null,
  };
}

async function runCase(
  c: BenchCase,
  root: string,
  client: ReturnType<typeof taskClient>,
  options: BenchRunOptions,
): Promise<CaseResult> {
  const timeout = options.taskTimeoutSeconds;
  const repo = await buildCase(path.join(root, 'repos'), c);
  const { id } = await client.submit({
    repo: { url: repo.url, ref: repo.branch },
    command: c.command,
    timeoutSeconds: timeout,
  });
  const record = await client.waitFor(id, TERMINAL, (timeout + 120) * 1000);
  const measured = measure(c, record);
  const falseFix =
    measured.outcome === 'fixed'
      ? await falseFixReason(c, record.result?.patch ?? '', measured.fixers, path.join(root, 'clean'), timeout * 1000)
      : null;
  // What the task said last, for a reader to see why an outcome was not the expected one.
  const logTail = measured.asExpected
    ? []
    : (await client.readAllLogs(id, 500, 60_000)).lines
        .filter((l) => l.text.trim() !== '')
        .slice(-8)
        .map((l) => `${l.stream}: ${l.text}`);
  const progress = options.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  progress(
    `bench:fix ${c.name}: ${measured.outcome}${measured.fixers.length ? ` (${measured.fixers.join(' + ')})` : ''}${falseFix ? ` FALSE FIX: ${falseFix}` : ''}`,
  );
  const patch = measured.outcome === 'fixed' ? (record.result?.patch ?? '') : '';
  const named = c.patchFiles ?? (record.result?.diagnosis?.locations ?? []).map((l) => l.path);
  return {
    ...measured,
    falseFix,
    logTail,
    patchStats: measured.outcome === 'fixed' ? (record.result?.patchStats ?? null) : null,
    noisy: patch === '' ? null : noisyFiles(patch, named),
  };
}

/** Runs `work` over `items`, at most `limit` at once, keeping the input order in the results. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

function connectRedis(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    retryStrategy: (times) => (times > 2 ? null : 200),
  });
}

async function assertRedis(url: string): Promise<void> {
  const redis = connectRedis(url);
  redis.on('error', () => undefined); // the ping below reports it
  try {
    await redis.ping();
  } catch (err) {
    throw new Error(
      `bench:fix needs Redis at ${url} (set REDIS_URL, or start redis-server on 127.0.0.1:6379): ${(err as Error).message}`,
    );
  } finally {
    redis.disconnect();
  }
}

async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = connectRedis(url);
  try {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = nextCursor;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Runs the cases through a fresh ci-fixer API and worker; stops them and cleans up after. */
export async function runBench(options: BenchRunOptions): Promise<BenchRun> {
  const { cases, concurrency, redisUrl } = options;
  if (cases.length === 0) throw new Error('bench:fix: no case to run');
  await assertRedis(redisUrl);
  const prefix = `bench-fix-${randomBytes(4).toString('hex')}`;
  const token = `bench-${randomBytes(8).toString('hex')}`;
  const root = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-bench-fix-'));
  const env = {
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    API_TOKENS: token,
    SANDBOX_DRIVER: 'local',
    WORKER_CONCURRENCY: String(concurrency),
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const processes: CiFixerProcess[] = [];
  try {
    const api = await startCiFixer('api', env);
    processes.push(api);
    processes.push(await startCiFixer('worker', env));
    (options.progress ?? ((line: string) => process.stderr.write(`${line}\n`)))(
      `bench:fix: ${cases.length} cases, ${concurrency} at a time, queue prefix ${prefix}, fixers here: ${FIXERS.map((f) => f.name).join(', ')}`,
    );
    const started = Date.now();
    const results = await pool(cases, concurrency, (c) => runCase(c, root, taskClient(api.url, token), options));
    return { results, totalMs: Date.now() - started };
  } finally {
    await Promise.all(processes.map((p) => p.stop('SIGTERM', 30_000)));
    await deletePrefix(redisUrl, prefix).catch((err: unknown) =>
      console.error(`bench:fix: could not delete ${prefix}:* keys: ${String(err)}`),
    );
    await rm(root, { recursive: true, force: true });
  }
}
