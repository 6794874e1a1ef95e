// Cloning: refs of every kind, task errors for a bad repository or ref, network errors as
// retryable, and a token that authenticates over HTTPS without ever being written down.
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo, git } from '../../scripts/lib/git-fixtures.js';
import { InfrastructureError, TaskError } from '../../src/errors.js';
import type { SandboxProvider } from '../../src/sandbox/types.js';
import { runPipeline, usePipelineEnvironment, type PipelineRun } from '../support/fix-pipeline.js';
import { startGitHttpsServer, type GitHttpsServer } from '../support/git-https-server.js';
import { startLocalProvider } from '../support/local-sandbox.js';

const TOKEN = 'ghs_TopSecretToken1234567890';
const { fixtures, provider } = usePipelineEnvironment();

/** Runs `git rev-parse HEAD` as the task command: it passes, and prints what was checked out. */
async function checkout(
  url: string,
  ref: string,
  extra: Parameters<typeof runPipeline>[2] = {},
  p = provider(),
): Promise<PipelineRun> {
  return runPipeline(p, { repo: { url, ref }, command: 'git rev-parse HEAD' }, extra);
}
const headOf = (run: PipelineRun) => run.logs.filter((l) => l.stream === 'stdout').at(-1)?.text;

describe('checkout of refs', () => {
  let url: string;
  let mainSha: string;
  let tagSha: string;
  let branchSha: string;
  let hiddenSha: string;

  beforeAll(async () => {
    const repo = await fixtures.repo('passing');
    url = repo.url;
    mainSha = repo.commit;
    await git(repo.dir, ['checkout', '--quiet', '-b', 'feature/x']);
    await git(repo.dir, ['commit', '--quiet', '--allow-empty', '-m', 'on feature']);
    branchSha = await git(repo.dir, ['rev-parse', 'HEAD']);
    await git(repo.dir, ['tag', '-a', 'v1.0', '-m', 'release', branchSha]);
    tagSha = branchSha;
    // A commit reachable only from a ref clones don't fetch, like a pull request head.
    await git(repo.dir, ['commit', '--quiet', '--allow-empty', '-m', 'pull request']);
    hiddenSha = await git(repo.dir, ['rev-parse', 'HEAD']);
    await git(repo.dir, ['update-ref', 'refs/pull/7/head', hiddenSha]);
    await git(repo.dir, ['reset', '--quiet', '--hard', branchSha]);
    await git(repo.dir, ['checkout', '--quiet', 'main']);
  });

  it('checks out a branch, a tag, a short sha, a full sha and a pull-request ref', async () => {
    const cases: Array<[string, () => string]> = [
      ['main', () => mainSha],
      ['feature/x', () => branchSha],
      ['v1.0', () => tagSha],
      [mainSha.slice(0, 8), () => mainSha],
      [mainSha, () => mainSha],
      [hiddenSha, () => hiddenSha],
      ['refs/pull/7/head', () => hiddenSha],
    ];
    for (const [ref, expected] of cases) {
      const run = await checkout(url, ref);
      expect(run.error, ref).toBeUndefined();
      expect(run.result?.outcome, ref).toBe('not_reproduced');
      expect(headOf(run), ref).toBe(expected());
    }
  });

  it('fails with ref_not_found for a ref that does not exist', async () => {
    for (const ref of ['no-such-branch', 'deadbeef', 'f'.repeat(40)]) {
      const run = await checkout(url, ref);
      expect(run.error, ref).toBeInstanceOf(TaskError);
      expect(run.error, ref).toMatchObject({ code: 'ref_not_found' });
      expect(run.phases).toEqual(['cloning']);
    }
  });
});

describe('repositories that cannot be cloned', () => {
  it('fails with repo_unreachable for a path that does not exist', async () => {
    const run = await checkout('file:///nonexistent/ci-fixer/repo.git', 'main');
    expect(run.error).toBeInstanceOf(TaskError);
    expect(run.error).toMatchObject({ code: 'repo_unreachable' });
  });

  it('fails with repo_unreachable for a folder that is not a git repository', async () => {
    const dir = await fixtures.tempDir('not-a-repo');
    const run = await checkout(`file://${dir}`, 'main');
    expect(run.error).toMatchObject({ code: 'repo_unreachable' });
  });

  it('treats a connection the server resets as a retryable infrastructure error', async () => {
    // The socket stays ours for the whole test (port 0, never closed early), so no other process
    // can take the port in between; every connection to it is reset at once.
    const server = createServer((socket) => socket.resetAndDestroy());
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    try {
      const run = await checkout(`https://127.0.0.1:${port}/org/repo.git`, 'main');
      expect(run.error).toBeInstanceOf(InfrastructureError);
      expect(run.error).toMatchObject({ code: 'git_network_error', retryable: true });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('credentials over https', () => {
  let server: GitHttpsServer;
  let httpsProvider: SandboxProvider;
  let url: string;
  let sha: string;

  beforeAll(async () => {
    const root = await fixtures.tempDir('served');
    const repo = await createFixtureRepo(path.join(root, 'private.git'), 'passing');
    sha = repo.commit;
    server = await startGitHttpsServer(root, { user: 'x-access-token', password: TOKEN });
    url = `${server.baseUrl}private.git`;
    // The host's trust store is the sandbox's: add this server's throwaway CA for these tests.
    ({ provider: httpsProvider } = await startLocalProvider({
      baseEnv: { ...process.env, GIT_SSL_CAINFO: server.caFile },
    }));
  });
  afterAll(async () => {
    await httpsProvider?.stop();
    await server?.close();
  });

  it('clones with the token sent as a header, and leaves it in no file, command or log', async () => {
    const run = await checkout(url, 'main', { gitToken: TOKEN }, httpsProvider);
    expect(run.error).toBeUndefined();
    expect(headOf(run)).toBe(sha);
    expect(
      server.authorizations.some((a) => a === `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`),
    ).toBe(true);

    const gitConfig = (await run.sandbox.readFile('repo/.git/config')).toString();
    expect(gitConfig).toContain(url);
    const encoded = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    for (const secret of [TOKEN, encoded, 'extraHeader', 'Authorization']) {
      expect(gitConfig).not.toContain(secret);
    }
    // Nowhere in the sandbox's files at all.
    const files = await readdir(run.sandbox.workdir, { recursive: true, withFileTypes: true });
    for (const file of files.filter((f) => f.isFile())) {
      const content = await readFile(path.join(file.parentPath, file.name));
      expect(content.includes(TOKEN), file.name).toBe(false);
      expect(content.includes(encoded), file.name).toBe(false);
    }
    const recorded = JSON.stringify({ commands: run.result?.commands, logs: run.logs });
    expect(recorded).not.toContain(TOKEN);
    expect(recorded).not.toContain(encoded);
  });

  it('fails with repo_unreachable when the token is refused or missing, without prompting', async () => {
    for (const gitToken of ['wrong-token', undefined]) {
      const run = await checkout(url, 'main', gitToken ? { gitToken } : {}, httpsProvider);
      expect(run.error, String(gitToken)).toBeInstanceOf(TaskError);
      expect(run.error, String(gitToken)).toMatchObject({ code: 'repo_unreachable' });
    }
  });
});
