// A fault-injecting TLS proxy on loopback in front of kube-apiserver, for bench:fleet. The
// workers' kubeconfig points here; the proxy authenticates upstream with the cluster's own client
// certificate and passes every request through (REST, watches, and exec websocket upgrades as raw
// byte streams). It counts each request by the sandbox Job it concerns (a Job's own path, its
// pods' paths, an events query naming either), records each exec connection's interval, and can
// throttle: for a bounded window it answers a share of new requests with a real HTTP 429, a
// v1.Status body and a Retry-After header, as the API server's priority and fairness filter does.
import { once } from 'node:events';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';

export interface UpstreamTls {
  url: URL;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface ProxyCounts {
  requests: number;
  execs: number;
  /** Requests answered 429 here (execs among them in execsThrottled). */
  throttled: number;
  execsThrottled: number;
  jobCreates: number;
}

export interface ExecInterval {
  pod: string;
  start: number;
  end: number | undefined;
}

export interface ApiProxy {
  readonly url: string;
  /** Job names whose requests are counted apart (the others count as shared). */
  track(jobNames: Iterable<string>): void;
  /** Rejects `share` of new requests with 429 + Retry-After for `ms`; resolves when the window ends. */
  throttle(ms: number, retryAfterSeconds: number, share?: number): Promise<void>;
  perJob(): Map<string, ProxyCounts>;
  shared(): ProxyCounts & { byKind: Record<string, number> };
  execIntervals(): Map<string, ExecInterval[]>;
  /**
   * Sandbox Jobs that exist from the workers' side (a create answered 201, no delete answered yet),
   * now and at most: the sandboxes tasks hold, which is what MAX_CONCURRENT_SANDBOXES bounds.
   */
  liveJobs(): { now: number; peak: number };
  /** Forgets the peak (keeps the Jobs that are live). */
  resetPeak(): void;
  /** When each Job's create request (the first, if several) reached the proxy. */
  jobCreated(): Map<string, number>;
  /** Upstream answers by status code (429s and 5xx from the real API server show here). */
  upstreamStatuses(): Record<string, number>;
  /** Forgets every count (between runs). */
  reset(): void;
  stop(): Promise<void>;
}

const SANDBOX_PREFIX = 'ci-fixer-sandbox-';

/** The object a request path or selector names: /jobs/<name>, /pods/<name>, involvedObject.name=<name>. */
export function namedObject(path: string, search: URLSearchParams): string | undefined {
  const m = /\/(?:jobs|pods)\/([^/]+)/.exec(path);
  if (m?.[1]) return decodeURIComponent(m[1]);
  const field = search.get('fieldSelector') ?? '';
  const f = /involvedObject\.name=([^,]+)/.exec(field);
  return f?.[1];
}

/** A task id as the API issues it (a UUID) in a sandbox Job name: the Job of that task. */
const UUID_JOB = new RegExp(`^${SANDBOX_PREFIX}[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`);

/**
 * The sandbox Job an object name belongs to: the Job itself, or one of its pods (`<job>-xxxxx`).
 * Names of tracked Jobs match first; a UUID task id's Job is known by its shape, so requests a
 * worker makes before the benchmark has tracked the task still count for it.
 */
export function jobOf(name: string | undefined, jobs: Set<string>): string | undefined {
  if (name === undefined || !name.startsWith(SANDBOX_PREFIX)) return undefined;
  if (jobs.has(name)) return name;
  const stem = name.replace(/-[a-z0-9]{5}$/, '');
  if (jobs.has(stem)) return stem;
  return UUID_JOB.exec(name)?.[0];
}

function statusBody(retryAfterSeconds: number): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Too many requests, please try again later. (bench:fleet throttling)',
    reason: 'TooManyRequests',
    details: { retryAfterSeconds },
    code: 429,
  });
}

export async function startApiProxy(upstream: UpstreamTls, serving: { cert: Buffer; key: Buffer }): Promise<ApiProxy> {
  const agent = new https.Agent({
    keepAlive: true,
    ca: upstream.ca,
    cert: upstream.cert,
    key: upstream.key,
    maxSockets: 512,
  });
  const jobs = new Set<string>();
  let counts = new Map<string, ProxyCounts>();
  let shared: ProxyCounts & { byKind: Record<string, number> } = {
    requests: 0,
    execs: 0,
    throttled: 0,
    execsThrottled: 0,
    jobCreates: 0,
    byKind: {},
  };
  let intervals = new Map<string, ExecInterval[]>();
  let statuses: Record<string, number> = {};
  let created = new Map<string, number>();
  const live = new Set<string>();
  let peakLive = 0;
  /** What an answer to a Job create or delete means for the set of live Jobs. */
  const settle = (
    method: string | undefined,
    path: string,
    job: string | undefined,
    status: number | undefined,
  ): void => {
    if (job === undefined || status === undefined) return;
    if (method === 'POST' && /\/jobs$/.test(path) && status === 201) {
      live.add(job);
      peakLive = Math.max(peakLive, live.size);
    } else if (
      method === 'DELETE' &&
      /\/jobs\/[^/]+$/.test(path) &&
      ((status >= 200 && status < 300) || status === 404)
    ) {
      live.delete(job);
    }
  };
  let window: { until: number; retryAfter: number; share: number; seen: number } | undefined;
  const sockets = new Set<Socket>();

  const bucket = (job: string | undefined): ProxyCounts => {
    if (job === undefined) return shared;
    let c = counts.get(job);
    if (c === undefined) {
      c = { requests: 0, execs: 0, throttled: 0, execsThrottled: 0, jobCreates: 0 };
      counts.set(job, c);
    }
    return c;
  };
  /** Deterministic and evenly spread: `share` of the requests in the window are refused. */
  const rejectNow = (): number | undefined => {
    if (window === undefined || Date.now() >= window.until) return undefined;
    window.seen++;
    return Math.floor(window.seen * window.share) !== Math.floor((window.seen - 1) * window.share)
      ? window.retryAfter
      : undefined;
  };
  const kindOf = (method: string, path: string, watch: boolean): string =>
    `${watch ? 'WATCH' : method} ${path.replace(/\/namespaces\/[^/]+/, '').replace(/\/(jobs|pods)\/[^/]+/, '/$1/{name}')}`;

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const url = new URL(req.url ?? '/', 'https://proxy');
    const watch = url.searchParams.get('watch') === 'true';
    let job = jobOf(namedObject(url.pathname, url.searchParams), jobs);
    const creating = req.method === 'POST' && /\/jobs$/.test(url.pathname);
    if (creating) {
      try {
        job = jobOf((JSON.parse(body.toString('utf8')) as { metadata?: { name?: string } }).metadata?.name, jobs);
      } catch {
        // not JSON: counted as shared
      }
    }
    const c = bucket(job);
    c.requests++;
    if (creating) c.jobCreates++;
    if (creating && job !== undefined && !created.has(job)) created.set(job, Date.now());
    if (job === undefined)
      shared.byKind[kindOf(req.method ?? 'GET', url.pathname, watch)] =
        (shared.byKind[kindOf(req.method ?? 'GET', url.pathname, watch)] ?? 0) + 1;
    const retryAfter = rejectNow();
    if (retryAfter !== undefined) {
      c.throttled++;
      res
        .writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': String(retryAfter) })
        .end(statusBody(retryAfter));
      return;
    }
    const headers = { ...req.headers, host: upstream.url.host };
    delete headers.authorization;
    const up = https.request(
      {
        host: upstream.url.hostname,
        port: upstream.url.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
        timeout: watch ? 0 : 60_000,
      },
      (upRes) => {
        statuses[String(upRes.statusCode)] = (statuses[String(upRes.statusCode)] ?? 0) + 1;
        settle(req.method, url.pathname, job, upRes.statusCode);
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        // A watch may send nothing for minutes; its client waits for the headers meanwhile.
        res.flushHeaders();
        upRes.pipe(res);
      },
    );
    up.on('timeout', () => up.destroy(new Error('upstream timeout')));
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end(`bench proxy: ${err.message}`);
      else res.destroy();
    });
    res.on('close', () => up.destroy());
    up.end(body);
  };

  const server = https.createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  // Exec (and any other upgrade): the client's request head is replayed on a fresh upstream TLS
  // connection, then bytes flow both ways untouched; the 101 comes from the API server.
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://proxy');
    const pod = namedObject(url.pathname, url.searchParams);
    const job = jobOf(pod, jobs);
    const c = bucket(job);
    c.requests++;
    c.execs++;
    const retryAfter = rejectNow();
    if (retryAfter !== undefined) {
      c.throttled++;
      c.execsThrottled++;
      const body = statusBody(retryAfter);
      client.end(
        `HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: ${retryAfter}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const interval: ExecInterval = { pod: pod ?? '', start: Date.now(), end: undefined };
    if (job !== undefined) {
      const list = intervals.get(job) ?? [];
      list.push(interval);
      intervals.set(job, list);
    }
    const upstreamSocket = tls.connect({
      host: upstream.url.hostname,
      port: Number(upstream.url.port),
      ca: upstream.ca,
      cert: upstream.cert,
      key: upstream.key,
      servername: upstream.url.hostname === '127.0.0.1' ? undefined : upstream.url.hostname,
    });
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] ?? '';
      if (name.toLowerCase() === 'authorization') continue;
      lines.push(`${name}: ${name.toLowerCase() === 'host' ? upstream.url.host : req.rawHeaders[i + 1]}`);
    }
    const end = () => {
      interval.end ??= Date.now();
      client.destroy();
      upstreamSocket.destroy();
    };
    upstreamSocket.once('secureConnect', () => {
      upstreamSocket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstreamSocket.write(head);
      upstreamSocket.pipe(client);
      client.pipe(upstreamSocket);
    });
    upstreamSocket.on('error', end);
    upstreamSocket.on('close', end);
    client.on('error', end);
    client.on('close', end);
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    url: `https://127.0.0.1:${port}`,
    track(names) {
      for (const n of names) jobs.add(n);
    },
    async throttle(ms, retryAfterSeconds, share = 0.5) {
      window = { until: Date.now() + ms, retryAfter: retryAfterSeconds, share, seen: 0 };
      await new Promise((r) => setTimeout(r, ms));
      window = undefined;
    },
    perJob: () => counts,
    shared: () => shared,
    execIntervals: () => intervals,
    upstreamStatuses: () => statuses,
    jobCreated: () => created,
    liveJobs: () => ({ now: live.size, peak: peakLive }),
    resetPeak: () => (peakLive = live.size),
    reset() {
      counts = new Map();
      shared = { requests: 0, execs: 0, throttled: 0, execsThrottled: 0, jobCreates: 0, byKind: {} };
      intervals = new Map();
      statuses = {};
      created = new Map();
      jobs.clear();
    },
    async stop() {
      window = undefined;
      for (const s of sockets) s.destroy();
      server.close();
      agent.destroy();
    },
  };
}
