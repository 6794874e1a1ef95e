// A fake of the slice of GitHub's REST API ci-fixer uses, over real HTTP on loopback. It is a
// third-party SaaS, so this is the one place a fake stands in: it records every request (method,
// route, auth, body) for the tests to check against GitHub's documented shapes, issues App
// installation tokens after verifying the App's JWT with its public key, and can be told to fail.
import { createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The path without the query string, e.g. /repos/o/r/check-runs/1 */
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: any;
}

export interface IssuedToken {
  token: string;
  installationId: number;
  permissions: Record<string, string> | undefined;
  repositories: string[] | undefined;
}

export interface FakeGitHubOptions {
  appId?: string;
  /** Accepted as-is (a personal token). */
  personalToken?: string;
  /** Jobs of workflow runs, by run id. */
  jobs?: Record<number, Array<{ id: number; name: string; conclusion: string | null }>>;
  /** The sha a branch points at on "GitHub" (the test's git remote), or undefined. */
  branchSha?: (owner: string, repo: string, branch: string) => Promise<string | undefined>;
  /** The App installation of each repository (`owner/repo` -> id), for GET /repos/{o}/{r}/installation. */
  installations?: Record<string, number>;
}

interface Failure {
  method: string;
  path: RegExp;
  status: number;
  /** How many more requests fail; Infinity for an outage. */
  remaining: number;
}

export interface FakeGitHub {
  url: string;
  requests: RecordedRequest[];
  tokens: IssuedToken[];
  /** An RSA key pair for a fake App whose JWTs this server verifies. */
  privateKeyPem: string;
  checkRuns: Array<Record<string, any>>;
  pulls: Array<Record<string, any>>;
  comments: Array<Record<string, any>>;
  fail(method: string, path: RegExp, status: number, times?: number): void;
  /** Requests whose method and path match. */
  find(method: string, path: RegExp): RecordedRequest[];
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function verifyJwt(jwt: string, key: KeyObject, appId: string): boolean {
  const [header, payload, signature] = jwt.split('.');
  if (header === undefined || payload === undefined || signature === undefined) return false;
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${header}.${payload}`);
  if (!verifier.verify(key, Buffer.from(signature, 'base64url'))) return false;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown; exp?: number };
  return String(claims.iss) === appId && typeof claims.exp === 'number' && claims.exp * 1000 > Date.now();
}

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const verifyKey = publicKey;
  const requests: RecordedRequest[] = [];
  const tokens: IssuedToken[] = [];
  const failures: Failure[] = [];
  const checkRuns: Array<Record<string, any>> = [];
  const pulls: Array<Record<string, any>> = [];
  const comments: Array<Record<string, any>> = [];
  let nextId = 1000;
  let url = '';

  const knownToken = (authorization: string | undefined): boolean => {
    const token = authorization?.replace(/^(?:token|bearer) /i, '');
    return token !== undefined && (tokens.some((t) => t.token === token) || token === options.personalToken);
  };

  async function route(_req: IncomingMessage, res: ServerResponse, r: RecordedRequest): Promise<void> {
    const failure = failures.find((f) => f.remaining > 0 && f.method === r.method && f.path.test(r.path));
    if (failure !== undefined) {
      failure.remaining -= 1;
      send(res, failure.status, { message: `injected failure ${failure.status}` });
      return;
    }
    let m = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(r.path);
    if (m && r.method === 'POST') {
      const jwt = r.authorization?.replace(/^bearer /i, '') ?? '';
      if (options.appId === undefined || !verifyJwt(jwt, verifyKey, options.appId)) {
        send(res, 401, { message: 'A JSON web token could not be decoded' });
        return;
      }
      const issued: IssuedToken = {
        token: `ghs_${r.body?.permissions?.contents === 'read' ? 'read' : 'write'}_${nextId++}`,
        installationId: Number(m[1]),
        permissions: r.body?.permissions,
        repositories: r.body?.repositories,
      };
      tokens.push(issued);
      send(res, 201, {
        token: issued.token,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        permissions: issued.permissions ?? {
          checks: 'write',
          contents: 'write',
          pull_requests: 'write',
          issues: 'write',
          actions: 'read',
        },
        repository_selection: 'selected',
      });
      return;
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(r.path);
    if (m && r.method === 'GET') {
      const jwt = r.authorization?.replace(/^bearer /i, '') ?? '';
      if (options.appId === undefined || !verifyJwt(jwt, verifyKey, options.appId))
        return send(res, 401, { message: 'A JSON web token could not be decoded' });
      const id = options.installations?.[`${m[1]}/${m[2]}`];
      return id === undefined
        ? send(res, 404, { message: 'Not Found' })
        : send(res, 200, { id, account: { login: m[1] } });
    }
    if (!r.path.startsWith('/repos/')) return send(res, 404, { message: 'Not Found' });
    if (!knownToken(r.authorization)) return send(res, 401, { message: 'Bad credentials' });
    m = /^\/repos\/([^/]+)\/([^/]+)\/(.*)$/.exec(r.path);
    const [, owner = '', repo = '', rest = ''] = m ?? [];
    const html = `https://github.com/${owner}/${repo}`;

    m = /^commits\/([^/]+)\/check-runs$/.exec(rest);

    if (m && r.method === 'GET') {
      const runs = checkRuns.filter(
        (c) => c.head_sha === m![1] && (r.query.check_name === undefined || c.name === r.query.check_name),
      );
      return send(res, 200, { total_count: runs.length, check_runs: runs });
    }
    if (rest === 'check-runs' && r.method === 'POST') {
      if (typeof r.body?.name !== 'string' || typeof r.body?.head_sha !== 'string')
        return send(res, 422, { message: 'name and head_sha are required' });
      const run = { ...r.body, id: nextId++, html_url: `${html}/runs/${nextId}` };
      checkRuns.push(run);
      return send(res, 201, run);
    }
    m = /^check-runs\/(\d+)$/.exec(rest);
    if (m && r.method === 'PATCH') {
      const run = checkRuns.find((c) => c.id === Number(m![1]));
      if (run === undefined) return send(res, 404, { message: 'Not Found' });
      Object.assign(run, r.body);
      return send(res, 200, run);
    }
    m = /^actions\/runs\/(\d+)\/jobs$/.exec(rest);
    if (m && r.method === 'GET') {
      const jobs = options.jobs?.[Number(m[1])] ?? [];
      return send(res, 200, { total_count: jobs.length, jobs });
    }
    m = /^git\/ref\/heads\/(.+)$/.exec(rest);
    if (m && r.method === 'GET') {
      const sha = await options.branchSha?.(owner, repo, m[1] as string);
      if (sha === undefined) return send(res, 404, { message: 'Not Found' });
      return send(res, 200, { ref: `refs/heads/${m[1]}`, object: { sha, type: 'commit' } });
    }
    if (rest === 'pulls' && r.method === 'GET') {
      const open = pulls.filter(
        (p) =>
          (r.query.head === undefined || `${owner}:${p.head.ref}` === r.query.head) &&
          (r.query.state ?? 'open') === p.state,
      );
      return send(res, 200, open);
    }
    if (rest === 'pulls' && r.method === 'POST') {
      const { head, base, title } = r.body ?? {};
      if (typeof head !== 'string' || typeof base !== 'string' || typeof title !== 'string')
        return send(res, 422, { message: 'Validation Failed' });
      if (pulls.some((p) => p.head.ref === head && p.state === 'open'))
        return send(res, 422, { message: 'A pull request already exists' });
      const number = pulls.length + 100;
      const pull = {
        number,
        state: 'open',
        html_url: `${html}/pull/${number}`,
        title,
        body: r.body.body,
        head: { ref: head },
        base: { ref: base },
      };
      pulls.push(pull);
      return send(res, 201, pull);
    }
    m = /^issues\/(\d+)\/comments$/.exec(rest);
    if (m && r.method === 'POST') {
      if (typeof r.body?.body !== 'string') return send(res, 422, { message: 'body is required' });
      const comment = {
        id: nextId++,
        issue: Number(m[1]),
        body: r.body.body,
        html_url: `${html}/pull/${m[1]}#issuecomment-${nextId}`,
      };
      comments.push(comment);
      return send(res, 201, comment);
    }
    return send(res, 404, { message: 'Not Found' });
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const parsed = new URL(req.url ?? '/', 'http://127.0.0.1');
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        // Octokit percent-encodes path parameters (a ref's slashes); GitHub reads them decoded.
        path: decodeURIComponent(parsed.pathname),
        query: Object.fromEntries(parsed.searchParams),
        authorization: req.headers.authorization,
        body: await readJson(req),
      };
      requests.push(record);
      await route(req, res, record);
    })().catch((err: unknown) => send(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    tokens,
    privateKeyPem,
    checkRuns,
    pulls,
    comments,
    fail(method, path, status, times = Number.POSITIVE_INFINITY) {
      failures.push({ method, path, status, remaining: times });
    },
    find(method, path) {
      return requests.filter((r) => r.method === method && path.test(r.path));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
