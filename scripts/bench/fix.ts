// `npm run bench:fix`: the corpus of broken repositories (scripts/bench/corpus/) through the real
// ci-fixer API and worker (built processes, local sandbox, the Redis on REDIS_URL or
// 127.0.0.1:6379 under a queue prefix of its own), a few tasks at a time over HTTP. It prints the
// fix rate per category and overall, false fixes (a `fixed` whose patch, applied here to a clean
// copy, does not make the command pass, or that touches a test file), the median overhead ratio
// (task wall time / summed time of the commands it ran), and each task's time as a ratio to one
// run of its command (the passing run that proves a fix; else the reproduction). A benchmark, not a test: it exits non-zero only on a
// false fix or when the platform itself fails.
//
//   npm run bench:fix                          # every case, 2 at a time
//   BENCH_ONLY='^go-' BENCH_CONCURRENCY=3 npm run bench:fix
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { FIXERS } from '../../src/fixer/fixers/index.js';
import type { TaskRecord } from '../../src/task.js';
// The e2e tests' process runner and HTTP client: the same way of starting built ci-fixer processes.
import { startCiFixer, type CiFixerProcess } from '../../test/support/ci-fixer-process.js';
import { taskClient, TERMINAL } from '../../test/support/task-client.js';
import { applyPatch } from '../lib/apply-patch.js';
import { CORPUS, buildCase, kindOf, type BenchCase } from './corpus/index.js';
import { printReport, testFilesIn, type CaseResult } from './fix-report.js';

const CONCURRENCY = Math.max(1, Number(process.env.BENCH_CONCURRENCY ?? 2));
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const TASK_TIMEOUT_SECONDS = Number(process.env.BENCH_TASK_TIMEOUT_SECONDS ?? 600);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `bench-fix-${randomBytes(4).toString('hex')}`;
const TOKEN = `bench-${randomBytes(8).toString('hex')}`;

function sh(command: string, cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const env = { ...process.env, npm_config_yes: 'true', npm_config_update_notifier: 'false' };
    execFile('sh', ['-c', command], { cwd, env, timeout: TASK_TIMEOUT_SECONDS * 1000, maxBuffer: 64 << 20 }, (err) =>
      resolve(err === null ? 0 : typeof err.code === 'number' ? err.code : -1),
    );
  });
}

/** Why a `fixed` result is false, or null when its patch holds up on a clean copy. */
async function falseFixReason(c: BenchCase, patch: string, scratch: string): Promise<string | null> {
  const tests = testFilesIn(patch);
  if (tests.length > 0) return `patch touches test files: ${tests.join(', ')}`;
  const clean = await buildCase(scratch, c);
  try {
    await applyPatch(clean.dir, patch);
  } catch (err) {
    return `patch does not apply to a clean copy: ${(err as Error).message}`;
  }
  const exitCode = await sh(c.command, clean.dir);
  return exitCode === 0 ? null : `the command still fails (exit ${exitCode}) on a clean copy with the patch`;
}

function measure(c: BenchCase, record: TaskRecord): Omit<CaseResult, 'falseFix' | 'logTail'> {
  const result = record.result;
  const outcome = record.state === 'succeeded' && result ? result.outcome : `${record.state}:${record.error?.code ?? '?'}`;
  const fixers = result?.fixers ?? (result?.fixer ? [result.fixer] : []);
  const wallMs = record.startedAt && record.finishedAt ? Date.parse(record.finishedAt) - Date.parse(record.startedAt) : NaN;
  const commands = result?.commands ?? [];
  const commandsMs = commands.reduce((sum, cmd) => sum + cmd.durationMs, 0);
  // One run of the whole command: the passing proof of a fix (a failing reproduction may stop at
  // its first step), else the reproduction.
  const runs = commands.filter((cmd) => cmd.command === c.command);
  const commandRunMs = (outcome === 'fixed' ? runs.at(-1) : runs[0])?.durationMs ?? NaN;
  const expectedFixers = [...(c.expect.fixers ?? [])].sort().join(',');
  const asExpected = outcome === c.expect.outcome && (c.expect.outcome !== 'fixed' || expectedFixers === [...fixers].sort().join(','));
  return { case: c, kind: kindOf(c), outcome, fixers, asExpected, wallMs, commandsMs, commandRunMs, reason: result?.reason ?? record.error?.message ?? null };
}

async function runCase(c: BenchCase, root: string, client: ReturnType<typeof taskClient>): Promise<CaseResult> {
  const repo = await buildCase(path.join(root, 'repos'), c);
  const { id } = await client.submit({ repo: { url: repo.url, ref: repo.branch }, command: c.command, timeoutSeconds: TASK_TIMEOUT_SECONDS });
  const record = await client.waitFor(id, TERMINAL, (TASK_TIMEOUT_SECONDS + 120) * 1000);
  const measured = measure(c, record);
  const falseFix = measured.outcome === 'fixed' ? await falseFixReason(c, record.result?.patch ?? '', path.join(root, 'clean')) : null;
  // What the task said last, for a reader to see why an outcome was not the expected one.
  const logTail = measured.asExpected ? [] : (await client.readAllLogs(id, 500, 60_000)).lines.filter((l) => l.text.trim() !== '').slice(-8).map((l) => `${l.stream}: ${l.text}`);
  process.stderr.write(`bench:fix ${c.name}: ${measured.outcome}${measured.fixers.length ? ` (${measured.fixers.join(' + ')})` : ''}${falseFix ? ` FALSE FIX: ${falseFix}` : ''}\n`);
  return { ...measured, falseFix, logTail };
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

function connectRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 5000, retryStrategy: (times) => (times > 2 ? null : 200) });
}

async function assertRedis(): Promise<void> {
  const redis = connectRedis();
  redis.on('error', () => undefined); // the ping below reports it
  try {
    await redis.ping();
  } catch (err) {
    throw new Error(`bench:fix needs Redis at ${REDIS_URL} (set REDIS_URL, or start redis-server on 127.0.0.1:6379): ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

async function deletePrefix(): Promise<void> {
  const redis = connectRedis();
  try {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = nextCursor;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<number> {
  const cases = CORPUS.filter((c) => ONLY === null || ONLY.test(c.name));
  if (cases.length === 0) throw new Error(`BENCH_ONLY=${process.env.BENCH_ONLY} matches no case`);
  await assertRedis();
  const root = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-bench-fix-'));
  const env = { REDIS_URL, QUEUE_PREFIX: PREFIX, API_TOKENS: TOKEN, SANDBOX_DRIVER: 'local', WORKER_CONCURRENCY: String(CONCURRENCY), LOG_LEVEL: 'info' };
  const processes: CiFixerProcess[] = [];
  try {
    const api = await startCiFixer('api', env);
    processes.push(api);
    processes.push(await startCiFixer('worker', env));
    console.error(`bench:fix: ${cases.length} cases, ${CONCURRENCY} at a time, queue prefix ${PREFIX}, fixers here: ${FIXERS.map((f) => f.name).join(', ')}`);
    const started = Date.now();
    const results = await pool(cases, CONCURRENCY, (c) => runCase(c, root, taskClient(api.url, TOKEN)));
    const falseFixes = printReport(results, FIXERS.map((f) => f.name), Date.now() - started);
    return falseFixes > 0 ? 1 : 0;
  } finally {
    await Promise.all(processes.map((p) => p.stop('SIGTERM', 30_000)));
    await deletePrefix().catch((err: unknown) => console.error(`bench:fix: could not delete ${PREFIX}:* keys: ${String(err)}`));
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:fix failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
