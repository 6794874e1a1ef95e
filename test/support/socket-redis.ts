// A redis-server of a test's own on a unix socket in the test's temp folder: nothing else can take
// it and the shared Redis is never touched, so the test may kill it (an outage) and start it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { waitUntil } from './local-sandbox.js';

/** Starts redis-server on `socket` (files in `dir`), and resolves once it answers PING. */
export async function startSocketRedis(socket: string, dir: string, extraArgs: string[] = []): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--dir', dir, ...extraArgs], {
    stdio: 'ignore',
  });
  const probe = new Redis(socket, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused until the server is up; the wait below says so
  try {
    await waitUntil(
      async () =>
        (await probe.connect().then(
          () => probe.ping(),
          () => undefined,
        )) === 'PONG',
      'redis-server to answer',
    );
  } finally {
    probe.disconnect();
  }
  return child;
}

/** SIGKILLs it (a crash, not a shutdown) and waits for the exit. */
export async function killSocketRedis(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
