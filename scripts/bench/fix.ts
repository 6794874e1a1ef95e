// `npm run bench:fix`: the corpus of broken repositories (scripts/bench/corpus/) through the real
// ci-fixer API and worker (built processes, local sandbox, the Redis on REDIS_URL or
// 127.0.0.1:6379 under a queue prefix of its own), a few tasks at a time over HTTP (fix-run.ts). It prints the
// fix rate per category and overall, false fixes (a `fixed` whose patch, applied here to a clean
// copy, does not make the command pass, or that touches a test file), the median overhead ratio
// (task wall time / summed time of the commands it ran), and each task's time as a ratio to one
// run of its command (the passing run that proves a fix; else the reproduction). A benchmark, not a test: it exits non-zero only on a
// false fix or when the platform itself fails.
//
// `--model` (or BENCH_MODEL=1) runs only the model-needed cases, with the model fixer on the
// endpoint in LLM_BASE_URL/LLM_MODEL/LLM_API_KEY, and prints its fix rate and tokens per fix
// (fix-model.ts); `--fake` (or BENCH_FAKE=1) uses the scripted endpoint on loopback instead, and
// also exits non-zero when the agent's requests break the wire format.
//
//   npm run bench:fix                          # every case, 2 at a time
//   BENCH_ONLY='^go-' BENCH_CONCURRENCY=3 npm run bench:fix
//   LLM_BASE_URL=http://127.0.0.1:11434/v1 LLM_MODEL=qwen2.5-coder:14b npm run bench:fix -- --model
//   npm run bench:fix -- --model --fake
import { FIXERS } from '../../src/fixer/fixers/index.js';
import { CORPUS } from './corpus/index.js';
import { runModelBench } from './fix-model.js';
import { printReport } from './fix-report.js';
import { runBench, type BenchRunOptions } from './fix-run.js';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--model' && a !== '--fake');
const fake = args.includes('--fake') || process.env.BENCH_FAKE === '1';
const model = fake || args.includes('--model') || process.env.BENCH_MODEL === '1';
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;

async function main(): Promise<number> {
  if (unknown.length > 0)
    throw new Error(`unknown arguments ${unknown.join(' ')} (bench:fix takes --model and --fake)`);
  const cases = CORPUS.filter((c) => ONLY === null || ONLY.test(c.name));
  if (cases.length === 0) throw new Error(`BENCH_ONLY=${process.env.BENCH_ONLY} matches no case`);
  const options: BenchRunOptions = {
    cases,
    concurrency: Math.max(1, Number(process.env.BENCH_CONCURRENCY ?? 2)),
    taskTimeoutSeconds: Number(process.env.BENCH_TASK_TIMEOUT_SECONDS ?? 600),
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
  if (model) {
    const run = await runModelBench({ ...options, fake });
    return run.falseFixes > 0 || run.violations.length > 0 ? 1 : 0;
  }
  const { results, totalMs } = await runBench(options);
  return printReport(
    results,
    FIXERS.map((f) => f.name),
    totalMs,
  ) > 0
    ? 1
    : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench:fix failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
