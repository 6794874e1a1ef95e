// Faults of the exec channel that a healthy API server never produces on demand (a socket that
// closes without a status, one that stops answering pings, a refused upgrade) are played by a
// websocket server on loopback that speaks the channel protocol. The happy paths against a real
// API server are in test/k8s/sandbox-*.test.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { InfrastructureError } from '../../src/errors.js';
import { retryThrottled } from '../../src/sandbox/kubernetes/api-errors.js';
import {
  execPath,
  openExecConnection,
  type ExecConnectionOptions,
} from '../../src/sandbox/kubernetes/exec-connection.js';

interface FakeServer {
  kc: KubeConfig;
  received: Buffer[];
  paths: string[];
  close(): Promise<void>;
}

async function fakeApiServer(options: {
  protocols?: string[];
  autoPong?: boolean;
  refuse?: number;
  /** The first `count` upgrades get 429 Too Many Requests with this Retry-After, as priority and fairness answers. */
  throttleFirst?: { count: number; retryAfter: string };
  onConnection?: (ws: WebSocket) => void;
}): Promise<FakeServer> {
  const received: Buffer[] = [];
  const paths: string[] = [];
  const http: Server = createServer();
  const wss = new WebSocketServer({
    noServer: true,
    autoPong: options.autoPong ?? true,
    handleProtocols: (offered) => (options.protocols ?? ['v5.channel.k8s.io']).find((p) => offered.has(p)) ?? false,
  });
  http.on('upgrade', (req, socket, head) => {
    paths.push(req.url ?? '');
    if (options.throttleFirst !== undefined && paths.length <= options.throttleFirst.count) {
      const body = JSON.stringify({
        kind: 'Status',
        reason: 'TooManyRequests',
        message: 'Too many requests, please try again later.',
        code: 429,
      });
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: ${options.throttleFirst.retryAfter}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    if (options.refuse !== undefined) {
      const body = JSON.stringify({ kind: 'Status', message: 'pods "p" is forbidden: nope' });
      socket.end(
        `HTTP/1.1 ${options.refuse} Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data: Buffer) => received.push(Buffer.from(data)));
      options.onConnection?.(ws);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'fake' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
    currentContext: 'fake',
  });
  return {
    kc,
    received,
    paths,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const frame = (channel: number, data: string | Buffer) => Buffer.concat([Buffer.from([channel]), Buffer.from(data)]);
const status = (body: object) => frame(3, JSON.stringify(body));

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function options(kc: KubeConfig, overrides: Partial<ExecConnectionOptions> = {}): ExecConnectionOptions {
  return {
    kc,
    target: { namespace: 'ns', pod: 'p', container: 'sandbox' },
    argv: ['sh', '-c', 'exit 0'],
    stdin: Buffer.from('header\n'),
    onStdout: () => undefined,
    onStderr: () => undefined,
    connectTimeoutMs: 5000,
    heartbeatMs: 50,
    staleAfterMs: 300,
    ...overrides,
  };
}

describe('exec connection', () => {
  it('streams stdout and stderr apart and takes the exit code from the status channel', async () => {
    server = await fakeApiServer({
      onConnection: (ws) => {
        ws.send(frame(1, 'out\n'));
        ws.send(frame(2, 'err\n'));
        ws.send(
          status({
            status: 'Failure',
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: '3' }] },
          }),
        );
      },
    });
    const out: string[] = [];
    const err: string[] = [];
    const conn = await openExecConnection(
      options(server.kc, { onStdout: (c) => out.push(c.toString()), onStderr: (c) => err.push(c.toString()) }),
    );
    expect(conn.protocol).toBe('v5.channel.k8s.io');
    expect(await conn.done).toEqual({ kind: 'exited', exitCode: 3 });
    expect(out.join('')).toBe('out\n');
    expect(err.join('')).toBe('err\n');
    expect(server.paths[0]).toBe(execPath({ namespace: 'ns', pod: 'p', container: 'sandbox' }, ['sh', '-c', 'exit 0']));
  });

  it('sends stdin on channel 0 and closes it with the v5 close signal', async () => {
    let ws: WebSocket | undefined;
    server = await fakeApiServer({ onConnection: (s) => (ws = s) });
    const stdin = Buffer.alloc(600 * 1024, 7);
    const conn = await openExecConnection(options(server.kc, { stdin }));
    const fake = server;
    await expect.poll(() => fake.received.at(-1)?.equals(Buffer.from([255, 0])), { timeout: 5000 }).toBe(true);
    const data = Buffer.concat(
      fake.received.slice(0, -1).map((f) => {
        expect(f[0]).toBe(0);
        return f.subarray(1);
      }),
    );
    expect(data.equals(stdin)).toBe(true);
    ws?.send(status({ status: 'Success' }));
    expect(await conn.done).toEqual({ kind: 'exited', exitCode: 0 });
  });

  it('does not send the close signal on v4, which has none', async () => {
    server = await fakeApiServer({
      protocols: ['v4.channel.k8s.io'],
      onConnection: (ws) => setTimeout(() => ws.send(status({ status: 'Success' })), 100),
    });
    const conn = await openExecConnection(options(server.kc));
    expect(conn.protocol).toBe('v4.channel.k8s.io');
    await conn.done;
    expect(server.received.every((f) => f[0] === 0)).toBe(true);
  });

  it('rejects when the socket closes without a status, never reading that as exit 0', async () => {
    server = await fakeApiServer({
      onConnection: (ws) => {
        ws.send(frame(1, 'partial output'));
        ws.close();
      },
    });
    const conn = await openExecConnection(options(server.kc));
    await expect(conn.done).rejects.toMatchObject({ code: 'sandbox_exec_lost' });
  });

  it('gives up on a connection that stops answering pings', async () => {
    server = await fakeApiServer({ autoPong: false });
    const conn = await openExecConnection(options(server.kc));
    await expect(conn.done).rejects.toMatchObject({ code: 'sandbox_exec_stale' });
  });

  it('keeps a quiet connection that answers pings', async () => {
    let ws: WebSocket | undefined;
    server = await fakeApiServer({ onConnection: (s) => (ws = s) });
    const conn = await openExecConnection(options(server.kc));
    let settled = false;
    void conn.done.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Several stale periods of silence pass (pongs keep it alive), then the status arrives.
    await new Promise((r) => setTimeout(r, 1000));
    expect(settled).toBe(false);
    ws?.send(status({ status: 'Success' }));
    expect(await conn.done).toEqual({ kind: 'exited', exitCode: 0 });
  });

  it('reports a refused upgrade with the server message', async () => {
    server = await fakeApiServer({ refuse: 403 });
    const err = await openExecConnection(options(server.kc)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfrastructureError);
    expect(err).toMatchObject({ code: 'sandbox_exec_refused' });
    expect((err as Error).message).toContain('HTTP 403');
    expect((err as Error).message).toContain('forbidden: nope');
  });

  it('a throttled upgrade (429) carries its Retry-After, and is opened again after that wait', async () => {
    server = await fakeApiServer({
      throttleFirst: { count: 2, retryAfter: '3' },
      onConnection: (ws) => ws.send(status({ status: 'Success' })),
    });
    const kc = server.kc;
    const refused = await openExecConnection(options(kc)).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'sandbox_exec_refused', statusCode: 429, retryAfterMs: 3000 });

    const waits: number[] = [];
    const conn = await retryThrottled(() => openExecConnection(options(kc)), {
      maxWaitMs: 60_000,
      maxDelayMs: 10_000,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(await conn.done).toEqual({ kind: 'exited', exitCode: 0 });
    // One more refusal, waited out as asked (never less than Retry-After), then the command ran once.
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(3000);
    expect(waits[0]).toBeLessThanOrEqual(3750);
    expect(server.paths).toHaveLength(3);
  });

  it('terminating settles the exec with the given reason', async () => {
    server = await fakeApiServer({});
    const conn = await openExecConnection(options(server.kc));
    conn.terminate(new InfrastructureError('sandbox_disposed', 'gone'));
    await expect(conn.done).rejects.toMatchObject({ code: 'sandbox_disposed' });
  });
});
