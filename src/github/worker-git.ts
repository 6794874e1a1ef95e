// Git on the worker's side, for what the sandbox must not do: read the repository's own settings
// before the sandbox starts, and push a verified fix with a write token. Each use gets a fresh
// temporary repository holding one commit (shallow, blobs fetched on demand), removed afterwards.
// The token reaches git only through the environment of the commands that talk to the remote
// (gitRemoteEnv), never argv, the URL or .git/config.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InfrastructureError, TaskError } from '../errors.js';
import { classifyGitFailure, gitRemoteEnv } from '../fixer/git.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommitIdentity {
  name: string;
  email: string;
  /** ISO date used for author and committer, so a retried commit gets the same sha. */
  date: string;
}

const OUTPUT_LIMIT = 8 * 1024 * 1024;

export interface WorkerRepoOptions {
  url: string;
  sha: string;
  /** Fetched instead when the remote will not serve the sha by itself. */
  branch: string | null;
  token?: string;
  timeoutMs: number;
  parentDir?: string;
  /** Extra environment for git, e.g. GIT_SSL_CAINFO for a server with a private CA. */
  env?: Record<string, string>;
}

export class WorkerRepo {
  private constructor(
    readonly dir: string,
    private readonly url: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
    private readonly env: Record<string, string>,
  ) {}

  /** A temporary repository with `sha` fetched from `url`; call dispose() when done. */
  static async fetch(options: WorkerRepoOptions): Promise<WorkerRepo> {
    const dir = await mkdtemp(path.join(options.parentDir ?? os.tmpdir(), 'ci-fixer-gh-'));
    const repo = new WorkerRepo(dir, options.url, options.token, options.timeoutMs, options.env ?? {});
    try {
      await repo.must(['init', '--quiet']);
      await repo.must(['remote', 'add', 'origin', options.url]);
      // By sha first (GitHub serves any reachable commit); else the branch, which must contain it.
      let fetched = await repo.git(
        ['fetch', '--quiet', '--no-tags', '--depth=1', '--filter=blob:none', 'origin', options.sha],
        { remote: true },
      );
      if (fetched.code !== 0 && options.branch !== null) {
        fetched = await repo.git(
          [
            'fetch',
            '--quiet',
            '--no-tags',
            '--filter=blob:none',
            'origin',
            `+refs/heads/${options.branch}:refs/remotes/origin/${options.branch}`,
          ],
          { remote: true },
        );
      }
      if (fetched.code !== 0) throw remoteError('fetch', options.url, fetched.stderr);
      if ((await repo.git(['cat-file', '-e', `${options.sha}^{commit}`])).code !== 0) {
        throw new TaskError('ref_not_found', `commit ${options.sha} is not in ${options.url}`);
      }
      return repo;
    } catch (err) {
      await repo.dispose();
      throw err;
    }
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Names in a tree directory ('' for the root) at `sha`. */
  async list(sha: string, dir = ''): Promise<string[]> {
    const spec = dir === '' ? sha : `${sha}:${dir}`;
    const result = await this.git(['ls-tree', '--name-only', '-z', spec]);
    if (result.code !== 0) return [];
    return result.stdout.split('\0').filter((name) => name !== '');
  }

  /** A file's text at `sha`, or undefined when there is no such file. */
  async readFile(sha: string, file: string): Promise<string | undefined> {
    const type = await this.git(['cat-file', '-t', `${sha}:${file}`]);
    if (type.code !== 0 || type.stdout.trim() !== 'blob') return undefined;
    // A blob of a partial clone is fetched on first read, so this may talk to the remote.
    const blob = await this.git(['cat-file', 'blob', `${sha}:${file}`], { remote: true });
    if (blob.code !== 0) throw remoteError('read', this.url, blob.stderr);
    return blob.stdout;
  }

  /**
   * Applies `patch` on top of `parent` in a private index (no checkout needed) and commits it.
   * Returns the commit and the paths it changes.
   */
  async commitPatch(
    parent: string,
    patch: string,
    message: string,
    identity: CommitIdentity,
  ): Promise<{ commit: string; paths: string[] }> {
    const index = { GIT_INDEX_FILE: path.join(this.dir, '.git', 'ci-fixer-index') };
    await this.must(['read-tree', parent], { env: index });
    const applied = await this.git(['apply', '--cached', '--binary', '--whitespace=nowarn', '-'], {
      env: index,
      input: patch,
      remote: true,
    });
    if (applied.code !== 0) {
      throw new TaskError(
        'patch_does_not_apply',
        `the fix does not apply to ${parent}: ${applied.stderr.trim().slice(0, 500)}`,
      );
    }
    const tree = (await this.must(['write-tree'], { env: index })).stdout.trim();
    const paths = (await this.must(['diff-tree', '-r', '-z', '--name-only', '--no-commit-id', parent, tree])).stdout
      .split('\0')
      .filter((p) => p !== '');
    const who = {
      GIT_AUTHOR_NAME: identity.name,
      GIT_AUTHOR_EMAIL: identity.email,
      GIT_AUTHOR_DATE: identity.date,
      GIT_COMMITTER_NAME: identity.name,
      GIT_COMMITTER_EMAIL: identity.email,
      GIT_COMMITTER_DATE: identity.date,
    };
    const commit = (
      await this.must(['commit-tree', tree, '-p', parent, '-F', '-'], { env: who, input: message })
    ).stdout.trim();
    return { commit, paths };
  }

  /** Creates (or fast-forwards) `branch` at `commit`; never forced, so no history is ever replaced. */
  async push(commit: string, branch: string): Promise<void> {
    const pushed = await this.git(['push', '--quiet', '--porcelain', 'origin', `${commit}:refs/heads/${branch}`], {
      remote: true,
    });
    if (pushed.code !== 0) {
      const kind = classifyGitFailure(pushed.stderr);
      if (kind === 'transient') throw remoteError('push', this.url, pushed.stderr);
      throw new TaskError(
        'push_rejected',
        `push of ${branch} was refused: ${lastLine(pushed.stderr) || lastLine(pushed.stdout)}`,
      );
    }
  }

  private async must(
    args: string[],
    options: { env?: Record<string, string>; input?: string } = {},
  ): Promise<GitResult> {
    const result = await this.git(args, options);
    if (result.code !== 0) {
      throw new InfrastructureError('git_failed', `git ${args[0]} failed: ${lastLine(result.stderr)}`);
    }
    return result;
  }

  git(
    args: string[],
    options: { env?: Record<string, string>; input?: string; remote?: boolean } = {},
  ): Promise<GitResult> {
    const remoteEnv = options.remote ? gitRemoteEnv(this.url, this.token) : gitRemoteEnv(this.url);
    return runGit(args, {
      cwd: this.dir,
      env: { ...this.env, ...remoteEnv, ...options.env },
      input: options.input,
      timeoutMs: this.timeoutMs,
    });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.slice(0, 500) ?? '';
}

function remoteError(what: string, url: string, stderr: string): Error {
  const kind = classifyGitFailure(stderr);
  if (kind === 'unreachable') {
    return new TaskError('repo_unreachable', `repository ${url} cannot be read (missing, or access refused)`, {
      cause: new Error(stderr.slice(-2000)),
    });
  }
  return new InfrastructureError(
    kind === 'transient' ? 'git_network_error' : 'git_failed',
    `${what} of ${url} failed: ${lastLine(stderr)}`,
  );
}

/**
 * Runs git with our environment on top of the process's, without user or system config (their
 * credential helpers and hooks must not apply), bounded in time and output.
 */
export function runGit(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string | undefined; timeoutMs: number },
): Promise<GitResult> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: os.devNull,
    LC_ALL: 'C',
    ...options.env,
    GIT_TRACE_REDACT: '1',
  };
  // git turns curl tracing on when these are merely set (even to 0), and traces carry headers.
  for (const name of Object.keys(env))
    if (name === 'GIT_CURL_VERBOSE' || name.startsWith('GIT_TRACE_CURL')) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= OUTPUT_LIMIT) into.push(chunk);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.once('error', (e) =>
      reject(new InfrastructureError('git_unavailable', `git could not be started: ${e.message}`, { cause: e })),
    );
    child.once('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (signal !== null) {
        reject(new InfrastructureError('git_timeout', `git ${args[0]} did not finish within ${options.timeoutMs} ms`));
        return;
      }
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}
