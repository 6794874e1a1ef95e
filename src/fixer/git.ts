// Getting the task's code: clone, resolve the ref, check it out. Credentials reach git only
// through the environment of the commands that talk to the remote, never via the URL, argv or
// .git/config, so nothing in the sandbox's files or the command log can reveal them.
import { InfrastructureError, TaskError } from '../errors.js';
import type { TaskSpec } from '../task.js';
import type { CommandRunner } from './runner.js';
import { shellQuote } from '../shared/shell.js';

export const REPO_DIR = 'repo';

export type GitFailureKind = 'unreachable' | 'ref_missing' | 'transient' | 'unknown';

const UNREACHABLE = [
  /does not appear to be a git repository/i,
  /repository '.*' not found/i,
  /Repository not found/i,
  /not a git repository/i,
  /Authentication failed/i,
  /could not read (?:Username|Password)/i,
  /terminal prompts disabled/i,
  /returned error: 40[0-9]/i,
  /Invalid username or password/i,
];
const REF_MISSING = [/couldn't find remote ref/i, /not our ref/i, /no such remote ref/i, /Remote branch .* not found/i];
const TRANSIENT = [
  /Could not resolve host/i,
  /Temporary failure in name resolution/i,
  /Failed to connect/i,
  /Connection (?:refused|reset|timed out)/i,
  /Operation timed out/i,
  /early EOF/i,
  /RPC failed/i,
  /remote end hung up unexpectedly/i,
  /returned error: 5\d\d/i,
  /SSL_ERROR|gnutls_handshake|TLS connection was non-properly terminated/i,
];

/** Pure: what a failed git command's output says about the cause. */
export function classifyGitFailure(output: string): GitFailureKind {
  if (UNREACHABLE.some((re) => re.test(output))) return 'unreachable';
  if (REF_MISSING.some((re) => re.test(output))) return 'ref_missing';
  if (TRANSIENT.some((re) => re.test(output))) return 'transient';
  return 'unknown';
}

/**
 * Environment for git commands that contact the remote. The token goes in as an HTTP header
 * scoped to the repository's origin (so a redirect elsewhere doesn't carry it), via git's
 * GIT_CONFIG_* variables, which live only in that process's environment. Host credential helpers
 * and every prompt are switched off, so a missing or refused credential fails fast. `caInfo`: the
 * CA bundle (a path in the sandbox) git verifies the https remote with.
 */
export function gitRemoteEnv(repoUrl: string, token?: string, caInfo?: string): Record<string, string> {
  const config: Array<[string, string]> = [['credential.helper', '']];
  const url = new URL(repoUrl);
  if (token !== undefined && token !== '' && url.protocol === 'https:') {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    config.push([`http.${url.origin}/.extraHeader`, `Authorization: Basic ${basic}`]);
  }
  // The bundle of git-ca.ts (system CAs + GIT_CA_FILE): set per command, so the checkout's own
  // config and the task's commands never see it.
  if (caInfo !== undefined && url.protocol === 'https:') config.push(['http.sslCAInfo', caInfo]);
  const env: Record<string, string> = {
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GCM_INTERACTIVE: 'never',
    // Tracing would print the header into the task log. GIT_TRACE* read "0" as off; GIT_CURL_VERBOSE
    // is left unset on purpose, since git enables curl tracing when it is set to any value.
    GIT_TRACE: '0',
    GIT_TRACE_CURL: '0',
    GIT_TRACE_REDACT: '1',
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** A clone token and the hosts (`host[:port]`) it may be sent to. */
export interface ScopedToken {
  token: string;
  hosts: readonly string[];
}

/**
 * The token when `repoUrl` is https on one of its hosts, else undefined. The URL comes from an
 * API client or a webhook payload: without this check any https host it names gets the token.
 */
export function tokenFor(repoUrl: string, scoped: ScopedToken | undefined): string | undefined {
  if (scoped === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(repoUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:') return undefined;
  const host = url.host.toLowerCase();
  return scoped.hosts.some((allowed) => allowed.toLowerCase() === host) ? scoped.token : undefined;
}

/** Pure: local names a branch, tag or (abbreviated) sha resolves to after a clone. */
export function refCandidates(ref: string): string[] {
  const candidates: string[] = [];
  if (ref.startsWith('refs/heads/')) candidates.push(`refs/remotes/origin/${ref.slice('refs/heads/'.length)}`);
  else if (ref.startsWith('refs/')) candidates.push(ref);
  else candidates.push(`refs/remotes/origin/${ref}`, `refs/tags/${ref}`);
  if (/^[0-9a-f]{4,40}$/i.test(ref)) candidates.push(ref);
  return candidates;
}

function remoteFailure(kind: GitFailureKind, what: string, url: string, output: string): Error {
  const details = { url };
  const cause = new Error(output.slice(-2000));
  if (kind === 'unreachable') {
    return new TaskError(
      'repo_unreachable',
      `repository ${url} cannot be read (missing, not a git repository, or access refused)`,
      { details, cause },
    );
  }
  return new InfrastructureError(
    kind === 'transient' ? 'git_network_error' : 'git_failed',
    `${what} of ${url} failed`,
    { details, cause },
  );
}

async function revParse(runner: CommandRunner, name: string): Promise<string | undefined> {
  const result = await runner.run(`git rev-parse --verify --quiet ${shellQuote(`${name}^{commit}`)}`, {
    cwd: REPO_DIR,
  });
  const sha = result.stdoutLines[0]?.trim();
  return result.exitCode === 0 && sha !== undefined && /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
}

/** How the clone reaches the remote: its token, and the CA bundle (a sandbox path) that verifies it. */
export interface RemoteAccess {
  token?: string;
  caInfo?: string;
}

/** Clones `spec.repo` into REPO_DIR and checks out its ref detached. Returns the commit sha. */
export async function checkoutRepo(
  runner: CommandRunner,
  repo: TaskSpec['repo'],
  access: RemoteAccess = {},
): Promise<string> {
  const env = gitRemoteEnv(repo.url, access.token, access.caInfo);
  const clone = await runner.run(`git clone --no-checkout --quiet -- ${shellQuote(repo.url)} ${REPO_DIR}`, { env });
  if (clone.exitCode !== 0) throw remoteFailure(classifyGitFailure(clone.output), 'clone', repo.url, clone.output);

  let sha: string | undefined;
  for (const candidate of refCandidates(repo.ref)) {
    sha = await revParse(runner, candidate);
    if (sha !== undefined) break;
  }
  if (sha === undefined) {
    // Not a branch, tag or known commit: a commit only reachable from other refs (a pull request
    // head) can still be fetched by name from hosts that allow it.
    const fetch = await runner.run(`git fetch --quiet --no-tags origin ${shellQuote(repo.ref)}`, {
      cwd: REPO_DIR,
      env,
    });
    const kind = fetch.exitCode === 0 ? undefined : classifyGitFailure(fetch.output);
    if (kind === 'transient') throw remoteFailure(kind, 'fetch', repo.url, fetch.output);
    if (kind === undefined) sha = await revParse(runner, 'FETCH_HEAD');
  }
  if (sha === undefined) {
    throw new TaskError(
      'ref_not_found',
      `ref ${JSON.stringify(repo.ref)} is not a branch, tag or commit of ${repo.url}`,
      {
        details: { url: repo.url, ref: repo.ref },
      },
    );
  }
  const checkout = await runner.run(`git checkout --quiet --detach ${sha}`, { cwd: REPO_DIR });
  if (checkout.exitCode !== 0) {
    throw new InfrastructureError('git_checkout_failed', `checkout of ${sha} failed`, {
      cause: new Error(checkout.output.slice(-2000)),
    });
  }
  return sha;
}
