// bench:fleet's own redis-server: a free loopback port, AOF on (fsync every second) in a temp
// folder, never the shared 6379. restart() stops it the way a crash-safe shutdown does (SHUTDOWN
// NOSAVE: no RDB snapshot, the AOF is flushed) and starts it again on the same port and folder,
// so what comes back is only what the AOF kept.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../../src/redis/embedded.js';

export interface BenchRedis {
  readonly url: string;
  readonly pid: number | undefined;
  /** used_memory from INFO memory, in bytes. */
  usedMemory(): Promise<number>;
  /** Keys before and after; resolves once the restarted server answers PING. */
  restart(downMs: number): Promise<{ keysBefore: number; keysAfter: number }>;
  stop(): Promise<void>;
}

async function ping(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      client.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`bench redis on ${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function command<T>(url: string, run: (c: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2000, commandTimeout: 5000 });
  client.on('error', () => undefined);
  try {
    return await run(client);
  } finally {
    client.disconnect();
  }
}

export async function startBenchRedis(): Promise<BenchRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-fleet-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
    '--maxclients',
    '2000',
  ];
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    await ping(url, 15_000);
  };
  await launch();

  const stopChild = async (how: 'shutdown' | 'kill') => {
    const current = child;
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return;
    const exited = once(current, 'exit');
    if (how === 'shutdown') await command(url, (c) => c.call('SHUTDOWN', 'NOSAVE')).catch(() => undefined);
    else current.kill('SIGTERM');
    const timer = setTimeout(() => current.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  return {
    url,
    get pid() {
      return child?.pid;
    },
    async usedMemory() {
      const info = await command(url, (c) => c.info('memory'));
      return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
    },
    async restart(downMs) {
      const keysBefore = await command(url, (c) => c.dbsize());
      await stopChild('shutdown');
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
      const keysAfter = await command(url, (c) => c.dbsize());
      return { keysBefore, keysAfter };
    },
    async stop() {
      await stopChild('kill');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
