// One exec websocket into a pod, with the guarantees the library leaves to its callers:
//   - the exit status comes only from the status channel; a socket that closes without one
//     rejects, it never reads as exit 0;
//   - the handshake is bounded, and a heartbeat (ping, expect pong) ends a connection that went
//     silent at the TCP level, so nothing waits on a dead socket forever;
//   - stdin is sent in bounded frames and closed with the v5 close signal where negotiated.
// Frames are handled here on a plain `ws` socket (authenticated by the KubeConfig, as the
// library's own handler does) rather than through the library's Exec class: that class ends stdin
// by closing the whole socket on protocols older than v5, throws inside the message handler on a
// close frame, routes close frames to process.stdin/stdout, and has no handshake timeout.
import type { ClientOptions } from 'ws';
import WebSocket from 'ws';
import type { KubeConfig, V1Status } from '@kubernetes/client-node';
import { InfrastructureError } from '../../errors.js';
import { retryAfterMs } from './api-errors.js';
import { parseExecStatus, type ExitStatus } from './exec-protocol.js';

export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
}

const STDIN_CHANNEL = 0;
const STDOUT_CHANNEL = 1;
const STDERR_CHANNEL = 2;
const STATUS_CHANNEL = 3;
const CLOSE_SIGNAL = 255;
const STDIN_FRAME_BYTES = 256 * 1024;
/** v5 adds the stdin close signal; v4 already carries exit codes on the status channel. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export interface ExecConnectionOptions {
  kc: KubeConfig;
  target: ExecTarget;
  argv: readonly string[];
  stdin: Buffer;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  connectTimeoutMs: number;
  /** Ping period; the connection is declared dead after `staleAfterMs` without a pong or frame. */
  heartbeatMs: number;
  staleAfterMs: number;
}

export interface ExecConnection {
  /** The negotiated subprotocol, e.g. v5.channel.k8s.io. */
  readonly protocol: string;
  /** Settles with the status channel's verdict; rejects if the socket ends without one. */
  readonly done: Promise<ExitStatus>;
  /** Drops the socket at once; `done` rejects with `reason` unless it already settled. */
  terminate(reason: Error): void;
}

export function execPath(target: ExecTarget, argv: readonly string[]): string {
  const query = new URLSearchParams({
    stdout: 'true',
    stderr: 'true',
    stdin: 'true',
    tty: 'false',
    container: target.container,
  });
  for (const arg of argv) query.append('command', arg);
  return `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/exec?${query.toString()}`;
}

export async function openExecConnection(options: ExecConnectionOptions): Promise<ExecConnection> {
  let settle: { resolve: (s: ExitStatus) => void; reject: (e: Error) => void } | undefined;
  const done = new Promise<ExitStatus>((resolve, reject) => (settle = { resolve, reject }));
  // A caller that terminates before awaiting must not trigger an unhandled rejection.
  done.catch(() => undefined);
  let settled = false;
  let lastAlive = Date.now();
  const finish = (result: ExitStatus | Error): void => {
    if (settled) return;
    settled = true;
    if (result instanceof Error) settle?.reject(result);
    else settle?.resolve(result);
  };

  const cluster = options.kc.getCurrentCluster();
  if (cluster === null) throw new InfrastructureError('kubernetes_config_invalid', 'kubeconfig has no current cluster');
  // Concatenated, not resolved: a server URL may carry a path prefix (API proxies do).
  const url = new URL(cluster.server.replace(/\/+$/, '') + execPath(options.target, options.argv));
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const wsOptions: ClientOptions = { handshakeTimeout: options.connectTimeoutMs, perMessageDeflate: false };
  await options.kc.applyToHTTPSOptions(wsOptions);
  const socket = new WebSocket(url, EXEC_PROTOCOLS, wsOptions);
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    lastAlive = Date.now();
    if (!isBinary || data.length === 0) return;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === STDOUT_CHANNEL) options.onStdout(payload);
    else if (channel === STDERR_CHANNEL) options.onStderr(payload);
    else if (channel === STATUS_CHANNEL) {
      try {
        finish(parseExecStatus(JSON.parse(payload.toString('utf8')) as V1Status));
      } catch (err) {
        finish(new InfrastructureError('sandbox_exec_failed', 'unreadable exec status', { cause: err }));
      }
      socket.close();
    }
  });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      socket.terminate();
      reject(err);
    };
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.length < 16 && chunks.push(c));
      res.on('end', () => {
        let message = Buffer.concat(chunks).toString('utf8').slice(0, 1000);
        try {
          message = (JSON.parse(message) as { message?: string }).message ?? message;
        } catch {
          // not a v1.Status body
        }
        const retryAfter = retryAfterMs(res.headers['retry-after']);
        fail(
          Object.assign(
            new InfrastructureError(
              'sandbox_exec_refused',
              `exec into ${options.target.pod} refused (HTTP ${res.statusCode}): ${message}`,
            ),
            { statusCode: res.statusCode, retryAfterMs: retryAfter },
          ),
        );
      });
      res.on('error', () =>
        fail(
          new InfrastructureError(
            'sandbox_exec_refused',
            `exec into ${options.target.pod} refused (HTTP ${res.statusCode})`,
          ),
        ),
      );
    });
    socket.once('error', (err) =>
      fail(
        new InfrastructureError(
          'sandbox_exec_connect_failed',
          `exec into ${options.target.pod} failed: ${err.message}`,
          { cause: err },
        ),
      ),
    );
  });

  const heartbeat = setInterval(() => {
    if (Date.now() - lastAlive > options.staleAfterMs) {
      socket.terminate();
      finish(
        new InfrastructureError(
          'sandbox_exec_stale',
          `exec connection to ${options.target.pod} went silent for ${options.staleAfterMs} ms (no pong)`,
        ),
      );
      return;
    }
    if (socket.readyState === WebSocket.OPEN) socket.ping();
  }, options.heartbeatMs);
  heartbeat.unref();
  socket.on('pong', () => (lastAlive = Date.now()));
  socket.on('error', () => undefined); // 'close' follows and settles the exec
  socket.on('close', (code) => {
    clearInterval(heartbeat);
    finish(
      new InfrastructureError(
        'sandbox_exec_lost',
        `exec connection to ${options.target.pod} closed without an exit status (websocket code ${code})`,
      ),
    );
  });
  if (socket.readyState === WebSocket.CLOSED) {
    clearInterval(heartbeat);
    finish(
      new InfrastructureError(
        'sandbox_exec_lost',
        `exec connection to ${options.target.pod} closed without an exit status`,
      ),
    );
  }

  for (
    let offset = 0;
    offset < options.stdin.length && socket.readyState === WebSocket.OPEN;
    offset += STDIN_FRAME_BYTES
  ) {
    const chunk = options.stdin.subarray(offset, offset + STDIN_FRAME_BYTES);
    const frame = Buffer.allocUnsafe(chunk.length + 1);
    frame[0] = STDIN_CHANNEL;
    chunk.copy(frame, 1);
    socket.send(frame);
  }
  // Older protocols cannot close stdin without closing the socket; the wrapper reads exactly
  // the bytes it was told about, so the command never waits for that EOF.
  if (socket.protocol === EXEC_PROTOCOLS[0] && socket.readyState === WebSocket.OPEN)
    socket.send(Buffer.from([CLOSE_SIGNAL, STDIN_CHANNEL]));

  const settledDone = done.finally(() => clearInterval(heartbeat));
  settledDone.catch(() => undefined);
  return {
    protocol: socket.protocol,
    done: settledDone,
    terminate(reason) {
      clearInterval(heartbeat);
      socket.terminate();
      finish(reason);
    },
  };
}
