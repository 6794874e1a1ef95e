// `npm run bench:intake`: POST /api/v1/tasks throughput and p99 of the real intake API (on the
// real Redis queue) against a bare Hono handler given the same 2 KB body, measured in the same
// run on loopback, printed with their ratio. A benchmark, not a test: it asserts nothing.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { scrubbedEnv } from '../lib/child-env.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const PREFIX = `cfx-bench:${process.pid}`;
const SERVER = fileURLToPath(new URL('./intake-server.ts', import.meta.url));

function body(): string {
  // A realistic task padded with labels to about 2 KB.
  const labels: Record<string, string> = {};
  for (let i = 0; i < 20; i++) labels[`label-${i}`] = 'x'.repeat(70);
  return JSON.stringify({
    repo: { url: 'https://git.example.test/acme/widgets.git', ref: 'feature/faster-widgets' },
    command: 'npx prettier --check . && npx eslint .',
    timeoutSeconds: 900,
    labels,
  });
}

async function startServer(mode: 'bare' | 'ci-fixer') {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, mode, REDIS_URL, PREFIX], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: scrubbedEnv(),
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { port: Number(line), stop: () => child.kill('SIGTERM') };
}

async function measure(mode: 'bare' | 'ci-fixer', payload: string) {
  const server = await startServer(mode);
  try {
    const run = (duration: number) =>
      autocannon({
        url: `http://127.0.0.1:${server.port}/api/v1/tasks`,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench-token' },
        body: payload,
        connections: CONNECTIONS,
        duration,
      });
    await run(2); // warm-up: JIT, connection pools
    const result = await run(SECONDS);
    const non2xx = result.non2xx + result.errors + result.timeouts;
    return { rps: result.requests.average, p99: result.latency.p99, requests: result.requests.total, non2xx };
  } finally {
    server.stop();
  }
}

const payload = body();
console.log(
  `intake benchmark: ${Buffer.byteLength(payload)} B body, ${CONNECTIONS} connections, ${SECONDS} s per server, loopback`,
);
const base = await measure('bare', payload);
const real = await measure('ci-fixer', payload);
const redis = new Redis(REDIS_URL);
let cursor = '0';
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}:*`, 'COUNT', 5000);
  if (keys.length) await redis.unlink(...keys);
  cursor = next;
} while (cursor !== '0');
redis.disconnect();

const row = (name: string, r: typeof base) =>
  `${name.padEnd(28)} ${r.rps.toFixed(0).padStart(8)} req/s   p99 ${String(r.p99).padStart(4)} ms   non-2xx ${r.non2xx}`;
console.log(row('bare Hono handler (baseline)', base));
console.log(row('ci-fixer POST /api/v1/tasks', real));
console.log(
  `ratio (ci-fixer / baseline): ${(real.rps / base.rps).toFixed(2)} throughput, ${(real.p99 / Math.max(base.p99, 1)).toFixed(2)} p99`,
);
