// A real git smart-HTTP server on loopback: TLS with a throwaway self-signed certificate, Basic
// auth, and `git http-backend` behind it (CGI), so clone tests exercise the credential path git
// uses against a real host.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface GitHttpsServer {
  /** https://<host>:<port>/ ; repositories are served under it by their folder name. */
  baseUrl: string;
  /** CA file that makes git trust this server (pass as GIT_SSL_CAINFO). */
  caFile: string;
  /** Authorization headers received, in order (undefined when a request had none). */
  authorizations: Array<string | undefined>;
  /** Every request, in order: which service it asked for and with which credential. */
  requests: Array<{ method: string; path: string; query: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: 30_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`${cmd}: ${stderr}`)) : resolve(),
    );
  });
}

export interface GitHttpsServerOptions {
  /**
   * IPv4 address to listen on, and the one the certificate is for (its subjectAltName). Default
   * 127.0.0.1; the real node's address (10.89.255.1) lets sandbox pods clone from the host.
   */
  host?: string;
  /** Port to listen on; default any free one. */
  port?: number;
}

/**
 * Serves every git repository in `root`; only requests carrying `Basic base64(user:password)` get
 * in, or those `credentials` accepts when it is a function of the Authorization header.
 */
export async function startGitHttpsServer(
  root: string,
  credentials: { user: string; password: string } | ((authorization: string | undefined) => boolean),
  options: GitHttpsServerOptions = {},
): Promise<GitHttpsServer> {
  const host = options.host ?? '127.0.0.1';
  const certDir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-tls-'));
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '1',
      '-subj',
      `/CN=${host}`,
      '-addext',
      `subjectAltName=IP:${host}`,
    ],
    certDir,
  );
  const authorize =
    typeof credentials === 'function'
      ? credentials
      : (header: string | undefined) =>
          header === `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
  const remoteUser = typeof credentials === 'function' ? 'x-access-token' : credentials.user;
  const authorizations: Array<string | undefined> = [];
  const requests: GitHttpsServer['requests'] = [];

  const server: Server = createServer(
    { key: await readFile(path.join(certDir, 'key.pem')), cert: await readFile(path.join(certDir, 'cert.pem')) },
    (req, res) => {
      authorizations.push(req.headers.authorization);
      const requested = new URL(req.url ?? '/', 'https://127.0.0.1');
      requests.push({
        method: req.method ?? 'GET',
        path: requested.pathname,
        query: requested.search.slice(1),
        authorization: req.headers.authorization,
      });
      if (!authorize(req.headers.authorization)) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const cgi = spawn('git', ['http-backend'], {
        env: {
          PATH: process.env.PATH,
          GIT_PROJECT_ROOT: root,
          GIT_HTTP_EXPORT_ALL: '1',
          REQUEST_METHOD: req.method ?? 'GET',
          PATH_INFO: decodeURIComponent(url.pathname),
          QUERY_STRING: url.search.slice(1),
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
          HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
          GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
          REMOTE_USER: remoteUser,
          REMOTE_ADDR: '127.0.0.1',
        },
      });
      req.pipe(cgi.stdin);
      let head = Buffer.alloc(0);
      let headersDone = false;
      cgi.stdout.on('data', (chunk: Buffer) => {
        if (headersDone) {
          res.write(chunk);
          return;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        headersDone = true;
        let status = 200;
        for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
          const colon = line.indexOf(':');
          const name = line.slice(0, colon).trim();
          const value = line.slice(colon + 1).trim();
          if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
          else res.setHeader(name, value);
        }
        res.writeHead(status);
        res.write(head.subarray(end + 4));
      });
      cgi.on('close', () => res.end());
      cgi.on('error', () => res.destroy());
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, resolve);
    });
  } catch (err) {
    // A taken port: the caller may try another; leave no certificate behind.
    await rm(certDir, { recursive: true, force: true });
    throw err;
  }
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `https://${host}:${port}/`,
    caFile: path.join(certDir, 'cert.pem'),
    authorizations,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(certDir, { recursive: true, force: true });
    },
  };
}
