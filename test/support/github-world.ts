// "GitHub" for tests: the fake REST API and a real git remote (a bare repository behind
// `git http-backend`, over TLS, accepting only tokens the fake API issued), holding a fixture
// repository whose CI fails, on a `feature` branch with a workflow file.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFixtureRepo, git, type FixtureVariant } from '../../scripts/lib/git-fixtures.js';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from './fake-github.js';
import { failedWorkflowRun } from './github-payloads.js';
import { startGitHttpsServer, type GitHttpsServer } from './git-https-server.js';

export const FULL_NAME = 'octo-org/octo-repo';
export const APP_ID = '4711';
export const INSTALLATION_ID = 42;
export const RUN_ID = 987654;
/** A personal token the fake API and the remote accept, for tests of the token mode. */
export const PERSONAL_TOKEN = 'ghp_personal_0123456789';
export const PR_NUMBER = 7;

export const PRETTIER_WORKFLOW = `name: CI
on: [push, pull_request]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
      - run: npx prettier --check .
  test:
    runs-on: ubuntu-latest
    steps:
      - run: node --version
`;

export interface GitHubWorld {
  api: FakeGitHub;
  remote: GitHttpsServer;
  cloneUrl: string;
  bareDir: string;
  headSha: string;
  headBranch: string;
  /** Environment that makes git trust the remote's certificate. */
  gitEnv: Record<string, string>;
  /** git in the bare repository (the remote's view). */
  remoteGit(args: string[]): Promise<string>;
  close(): Promise<void>;
}

function revParse(bareDir: string, ref: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', '--verify', '--quiet', ref], { cwd: bareDir, timeout: 10_000 }, (err, stdout) =>
      resolve(err ? undefined : stdout.trim()),
    );
  });
}

export async function startGitHubWorld(
  options: { variant?: FixtureVariant; files?: Record<string, string>; api?: FakeGitHubOptions } = {},
): Promise<GitHubWorld> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-github-'));
  const work = path.join(root, 'work');
  await createFixtureRepo(work, options.variant ?? 'prettier');
  await git(work, ['checkout', '--quiet', '-b', 'feature']);
  for (const [name, content] of Object.entries({ '.github/workflows/ci.yml': PRETTIER_WORKFLOW, ...options.files })) {
    await mkdir(path.dirname(path.join(work, name)), { recursive: true });
    await writeFile(path.join(work, name), content);
  }
  await git(work, ['add', '--all']);
  await git(work, ['commit', '--quiet', '--message', 'feature work']);
  const headSha = await git(work, ['rev-parse', 'HEAD']);
  const served = path.join(root, 'served');
  const bareDir = path.join(served, `${FULL_NAME}.git`);
  await mkdir(path.dirname(bareDir), { recursive: true });
  await git(root, ['clone', '--quiet', '--bare', work, bareDir]);

  const api = await startFakeGitHub({
    appId: APP_ID,
    jobs: {
      [RUN_ID]: [
        { id: 1, name: 'test', conclusion: 'success' },
        { id: 2, name: 'lint', conclusion: 'failure' },
      ],
    },
    branchSha: (_owner, _repo, branch) => revParse(bareDir, `refs/heads/${branch}`),
    personalToken: PERSONAL_TOKEN,
    installations: { [FULL_NAME]: INSTALLATION_ID },
    ...options.api,
  });
  const accepted = (header: string | undefined) =>
    [...api.tokens.map((t) => t.token), options.api?.personalToken ?? PERSONAL_TOKEN].some(
      (token) => header === `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
    );
  const remote = await startGitHttpsServer(served, accepted);
  return {
    api,
    remote,
    cloneUrl: `${remote.baseUrl}${FULL_NAME}.git`,
    bareDir,
    headSha,
    headBranch: 'feature',
    gitEnv: { GIT_SSL_CAINFO: remote.caFile },
    remoteGit: (args) => git(bareDir, args),
    async close() {
      await remote.close();
      await api.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** GitHub's example failed workflow_run, pointed at this world's repository and commit. */
export function workflowRunFailure(world: GitHubWorld): Record<string, any> {
  const payload = failedWorkflowRun();
  payload.repository.full_name = FULL_NAME;
  payload.repository.clone_url = world.cloneUrl;
  payload.repository.default_branch = 'main';
  payload.workflow.name = 'CI';
  payload.workflow.path = '.github/workflows/ci.yml';
  Object.assign(payload.workflow_run, {
    id: RUN_ID,
    name: 'CI',
    path: '.github/workflows/ci.yml',
    head_sha: world.headSha,
    head_branch: world.headBranch,
    pull_requests: [{ number: PR_NUMBER, id: 1, url: `https://api.github.com/repos/${FULL_NAME}/pulls/${PR_NUMBER}` }],
  });
  payload.workflow_run.head_repository.full_name = FULL_NAME;
  payload.installation = { id: INSTALLATION_ID, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=' };
  return payload;
}
