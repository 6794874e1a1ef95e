// A local redis-server child process for laptops and tests: used only when no REDIS_URL is set
// (and never in production). Its data lives in a git-ignored folder. It requires a password,
// random per start: anything else on the machine that can reach a loopback port (another user, a
// task's code, a web page by DNS rebinding) cannot read or forge tasks without it. The password
// goes to redis-server on its stdin, never on its command line (which every local user can read).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { ConfigError, InfrastructureError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface EmbeddedRedisOptions {
  dir: string;
  logger: Logger;
  binary?: string;
  startTimeoutMs?: number;
}

export interface EmbeddedRedis {
  /** redis://:<password>@127.0.0.1:<port> once started. */
  readonly url: string;
  /** This start's random password (a secret: redact it). */
  readonly password: string;
  start(): Promise<string>;
  stop(): Promise<void>;
}

export const REDIS_INSTALL_HINT =
  'no redis-server binary found: install one (apt-get install redis-server), run `docker compose up redis`, or set REDIS_URL';

const PIDFILE = 'redis-server.pid';

/**
 * A redis-server left behind by a ci-fixer that was killed outright still owns the data folder;
 * two servers appending to one folder would corrupt it, so the leftover is stopped first.
 */
async function stopLeftover(pidfile: string, logger: Logger): Promise<void> {
  const pid = Number((await readFile(pidfile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!command.includes('redis-server')) return; // gone, or the pid was reused by something else
  logger.warn({ pid }, 'embedded_redis_leftover_stopped');
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    if ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')) === '') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  process.kill(pid, 'SIGKILL');
}

/** A port free on `host` right now (the OS picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export function createEmbeddedRedis(options: EmbeddedRedisOptions): EmbeddedRedis {
  const binary = options.binary ?? 'redis-server';
  let child: ChildProcess | undefined;
  let url = '';
  const password = randomBytes(24).toString('hex');
  let starting: Promise<string> | undefined;

  async function waitForPing(target: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const probe = new Redis(target, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 500,
      });
      // Refused connects are expected until redis-server listens, and connect() rejects with them;
      // without a listener ioredis would also print each one to stderr as an unhandled error.
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
      } finally {
        probe.disconnect();
      }
    }
    throw new InfrastructureError(
      'embedded_redis_timeout',
      `embedded redis-server did not answer within ${timeoutMs} ms`,
    );
  }

  return {
    get url() {
      return url;
    },
    password,
    start() {
      starting ??= (async () => {
        const dir = resolve(options.dir);
        await mkdir(dir, { recursive: true });
        await stopLeftover(join(dir, PIDFILE), options.logger);
        const port = await freePort();
        // `-` reads the configuration from stdin first; the flags after it add to it.
        const args = [
          '-',
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--appendonly',
          'yes',
          '--save',
          '',
          '--pidfile',
          join(dir, PIDFILE),
        ];
        const proc = spawn(binary, args, {
          stdio: ['pipe', 'ignore', 'pipe'],
        });
        proc.stdin?.on('error', () => undefined); // an early exit is reported below
        proc.stdin?.end(`requirepass ${password}\n`);
        child = proc;
        const spawnFailed = new Promise<never>((_, reject) => {
          proc.once('error', (err: NodeJS.ErrnoException) =>
            reject(err.code === 'ENOENT' ? new ConfigError(REDIS_INSTALL_HINT, { cause: err }) : err),
          );
          proc.once('exit', (code) =>
            reject(new InfrastructureError('embedded_redis_exited', `redis-server exited with code ${code}`)),
          );
        });
        spawnFailed.catch(() => undefined);
        url = `redis://:${password}@127.0.0.1:${port}`;
        await Promise.race([waitForPing(url, options.startTimeoutMs ?? 10_000), spawnFailed]);
        options.logger.info({ port, dir }, 'embedded_redis_started');
        return url;
      })();
      return starting;
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (proc === undefined || proc.exitCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      options.logger.info('embedded_redis_stopped');
    },
  };
}
