// A worker that cannot start must exit, not linger: in a pod, a worker that logged startup_failed
// but stayed alive (the kubernetes driver's watch and client kept the event loop busy) served no
// /healthz until the startup probe killed it a minute later, which showed up as an unexplained
// restart after `helm install`. REDIS_URL points at something that is not Redis: an HTTP answer,
// as a pod met while a Service address was not routed yet and the node's egress answered instead.
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchCiFixer, type LaunchedCiFixer } from '../support/ci-fixer-process.js';
import { useSandboxNamespace } from '../support/k8s-sandbox.js';

/** How long the exit may take after startup_failed: a bound that catches a hang, not a speed check. */
const EXIT_BOUND_MS = 20_000;

describe('a worker whose Redis is not Redis', () => {
  const ns = useSandboxNamespace('startup-fail');
  let server: Server;
  let notRedis: string;
  const launched: LaunchedCiFixer[] = [];

  beforeAll(async () => {
    server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () =>
        socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    notRedis = `redis://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const p of launched) await p.stop('SIGKILL', 5_000);
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(['kubernetes', 'local'] as const)(
    'logs startup_failed and exits with code 1 (SANDBOX_DRIVER=%s)',
    async (driver) => {
      const p = launchCiFixer('worker', {
        REDIS_URL: notRedis,
        SANDBOX_DRIVER: driver,
        KUBECONFIG: inject('kubeconfig'),
        SANDBOX_NAMESPACE: ns.name,
      });
      launched.push(p);
      const exited = once(p.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      await Promise.race([p.waitForLog('startup_failed', () => true, 60_000), exited]);
      expect(
        p.logs.find((e) => e.msg === 'startup_failed'),
        JSON.stringify(p.logs.slice(-5)),
      ).toMatchObject({ level: 60 });
      const bound = new Promise<string>((resolve) =>
        setTimeout(() => resolve(`still running ${EXIT_BOUND_MS} ms after startup_failed`), EXIT_BOUND_MS).unref(),
      );
      expect(await Promise.race([exited.then(([code, signal]) => code ?? signal), bound])).toBe(1);
      expect(p.logs.some((e) => e.msg === 'ci_fixer_started')).toBe(false);
    },
  );
});
