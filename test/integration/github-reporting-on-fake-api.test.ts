// The worker's GitHub hooks against the fake GitHub API and a real git remote: check runs, the
// fix branch and commit, the pull request and comment, each request in GitHub's documented shape;
// the sandbox's token is read-only; reporting failures are retried and recorded, never fatal.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { git } from '../../scripts/lib/git-fixtures.js';
import { TaskError } from '../../src/errors.js';
import { createGitHubCredentials } from '../../src/github/client.js';
import { decide } from '../../src/github/events.js';
import { createAllowList } from '../../src/github/allow-list.js';
import { createGitHubTaskHooks, type GitHubReportSettings } from '../../src/github/reporter.js';
import { createLogger } from '../../src/logger.js';
import type { FixResult, GitHubReport, QueuedTaskSpec, TaskSpec } from '../../src/task.js';
import type { TaskEnd, TaskHookContext, TaskHooks } from '../../workers/worker.js';
import {
  APP_ID,
  FULL_NAME,
  PERSONAL_TOKEN,
  INSTALLATION_ID,
  PR_NUMBER,
  RUN_ID,
  startGitHubWorld,
  workflowRunFailure,
  type GitHubWorld,
} from '../support/github-world.js';

const logger = createLogger('silent');
const FORMATTED = 'const greeting = "hello";\nexport function greet(name) {\n  return greeting + ", " + name;\n}\n';

function settings(overrides: Partial<GitHubReportSettings> = {}): GitHubReportSettings {
  return {
    apiUrl: '',
    gitHost: '',
    requestTimeoutMs: 5000,
    checkName: 'ci-fixer',
    checkRuns: true,
    fixPullRequests: true,
    prComments: true,
    allowWorkflowChanges: false,
    forkTimeoutSeconds: 600,
    forkAllowSetup: false,
    reportAttempts: 3,
    gitTimeoutSeconds: 60,
    ...overrides,
  };
}

function hooksFor(world: GitHubWorld, mode: 'app' | 'token', overrides: Partial<GitHubReportSettings> = {}): TaskHooks {
  const s = settings({ apiUrl: world.api.url, gitHost: new URL(world.remote.baseUrl).host, ...overrides });
  const credentials = createGitHubCredentials(
    mode === 'app'
      ? { app: { id: APP_ID, privateKey: world.api.privateKeyPem }, personalToken: undefined }
      : { app: undefined, personalToken: PERSONAL_TOKEN },
    { apiUrl: s.apiUrl, requestTimeoutMs: s.requestTimeoutMs, logger },
  );
  return createGitHubTaskHooks({
    settings: s,
    credentials,
    publicUrl: 'https://ci-fixer.example',
    logger,
    retryDelayMs: 10,
    gitEnv: world.gitEnv,
  });
}

function contextFor(world: GitHubWorld): TaskHookContext & { lines: string[] } {
  const decision = decide(
    { event: 'workflow_run', deliveryId: randomUUID(), payload: workflowRunFailure(world) },
    { allow: createAllowList([]), checkName: 'ci-fixer' },
  );
  if (decision.kind !== 'task') throw new Error('expected a task');
  const lines: string[] = [];
  return {
    taskId: randomUUID(),
    attempt: 1,
    spec: decision.spec,
    signal: new AbortController().signal,
    log: (_s, text) => void lines.push(text),
    lines,
  };
}

/** A real patch of the fixture: what `prettier --write` makes of src/greet.js (and optionally more). */
async function patchOf(world: GitHubWorld, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-patch-'));
  try {
    await git(dir, ['clone', '--quiet', world.bareDir, 'r']);
    const repo = path.join(dir, 'r');
    await git(repo, ['checkout', '--quiet', world.headSha]);
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(repo, name), content);
    return `${await git(repo, ['diff', '--binary', 'HEAD'])}\n`;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function fixed(patch: string): FixResult {
  return {
    outcome: 'fixed',
    fixer: 'prettier',
    patch,
    patchTruncated: false,
    commands: [
      { command: 'npx prettier --check .', exitCode: 1, durationMs: 1000, timedOut: false },
      { command: 'npx prettier --write .', exitCode: 0, durationMs: 900, timedOut: false },
      { command: 'npx prettier --check .', exitCode: 0, durationMs: 800, timedOut: false },
    ],
  };
}

const end = (spec: QueuedTaskSpec, result: FixResult | null, state: TaskEnd['state'] = 'succeeded'): TaskEnd => ({
  state,
  spec,
  result,
  error: null,
});
const basic = (token: string) => `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;

describe('GitHub reporting', () => {
  let world: GitHubWorld;
  beforeEach(async () => {
    world = await startGitHubWorld();
  });
  afterEach(() => world.close());

  it('starts an in_progress check run, finds the failed job, and resolves its run: steps with a read-only clone token', async () => {
    const hooks = hooksFor(world, 'app');
    const ctx = contextFor(world);
    const start = await hooks.onStart!(ctx);

    const [create] = world.api.find('POST', new RegExp(`^/repos/${FULL_NAME}/check-runs$`));
    expect(create?.body).toMatchObject({
      name: 'ci-fixer',
      head_sha: world.headSha,
      status: 'in_progress',
      external_id: ctx.taskId,
      details_url: `https://ci-fixer.example/api/v1/tasks/${ctx.taskId}`,
      output: { title: expect.any(String), summary: expect.stringContaining(ctx.taskId) },
    });
    expect(world.api.find('GET', new RegExp(`^/repos/${FULL_NAME}/actions/runs/${RUN_ID}/jobs$`))).toHaveLength(1);
    expect(start?.spec).toMatchObject({
      command: 'npx prettier --check .',
      commandSource: 'workflow',
      github: { failedJob: 'lint' },
    });

    // The App's tokens: requested with a verified JWT, scoped to the repository; the sandbox's is read-only.
    const issued = world.api.tokens;
    expect(issued.length).toBeGreaterThanOrEqual(2);
    expect(issued.filter((t) => t.installationId !== INSTALLATION_ID || t.repositories?.[0] !== 'octo-repo')).toEqual(
      [],
    );
    const read = issued.find((t) => t.permissions?.contents === 'read');
    expect(start?.gitToken).toBe(read?.token);
    const write = issued.find((t) => t.permissions === undefined);
    expect(start?.secrets).toEqual(expect.arrayContaining([read?.token, write?.token]));
    expect(start?.gitToken).not.toBe(write?.token);
    // The worker-side read of the repository authenticated with the read-only token.
    expect(world.remote.requests.length).toBeGreaterThan(0);
    expect(world.remote.requests.filter((r) => r.authorization !== basic(read!.token))).toEqual([]);
  });

  it('on fixed: pushes one commit to a ci-fixer branch, opens a pull request into the failing branch, comments, completes the check run', async () => {
    const hooks = hooksFor(world, 'app');
    const ctx = contextFor(world);
    const start = await hooks.onStart!(ctx);
    const spec = start!.spec as TaskSpec;
    const patch = await patchOf(world, { 'src/greet.js': FORMATTED });
    const kept = (await hooks.onFinish!(ctx, end(spec, fixed(patch)))) as {
      github: GitHubReport;
      commandSource: string;
    };

    const branch = `ci-fixer/${world.headSha.slice(0, 7)}-${ctx.taskId.slice(0, 8)}`;
    expect(kept.commandSource).toBe('workflow');
    expect(kept.github).toMatchObject({
      branch,
      error: null,
      attempts: 1,
      pullRequestUrl: expect.stringContaining('/pull/'),
      commentUrl: expect.any(String),
    });

    // The remote: one commit on top of the failing one, with the fix and a trailer naming the task.
    const commit = await world.remoteGit(['rev-parse', `refs/heads/${branch}`]);
    expect(commit).toBe(kept.github.commitSha);
    expect(await world.remoteGit(['rev-parse', `${commit}^`])).toBe(world.headSha);
    expect(await world.remoteGit(['show', `${commit}:src/greet.js`])).toBe(FORMATTED.trimEnd());
    expect(await world.remoteGit(['log', '-1', '--format=%(trailers:key=Ci-Fixer-Task,valueonly)', commit])).toBe(
      ctx.taskId,
    );
    expect(await world.remoteGit(['rev-parse', 'refs/heads/feature'])).toBe(world.headSha);
    // Only the worker's write token pushed; the read-only token never reached receive-pack.
    const write = world.api.tokens.find((t) => t.permissions === undefined)!;
    const pushes = world.remote.requests.filter(
      (r) => r.path.endsWith('/git-receive-pack') || r.query === 'service=git-receive-pack',
    );
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.filter((r) => r.authorization !== basic(write.token))).toEqual([]);

    // GitHub's REST routes and bodies.
    expect(world.api.find('GET', new RegExp(`^/repos/${FULL_NAME}/git/ref/heads/ci-fixer/`))).toHaveLength(1);
    const [pr] = world.api.find('POST', new RegExp(`^/repos/${FULL_NAME}/pulls$`));
    expect(pr?.body).toEqual({
      head: branch,
      base: 'feature',
      title: 'ci-fixer: fix "lint" with prettier',
      body: expect.stringContaining(ctx.taskId),
    });
    const [comment] = world.api.find('POST', new RegExp(`^/repos/${FULL_NAME}/issues/${PR_NUMBER}/comments$`));
    expect(comment?.body.body).toContain(patch.split('\n')[0]);
    expect(comment?.body.body).toContain(kept.github.pullRequestUrl);
    const updates = world.api.find('PATCH', new RegExp(`^/repos/${FULL_NAME}/check-runs/\\d+$`));
    expect(updates).toHaveLength(1);
    expect(updates[0]?.path).toBe(`/repos/${FULL_NAME}/check-runs/${kept.github.checkRunId}`);
    expect(updates[0]?.body).toMatchObject({
      status: 'completed',
      conclusion: 'success',
      output: { title: 'Fixed by prettier', text: expect.stringContaining('src/greet.js') },
    });
    expect(updates[0]?.body.output.summary).toContain(kept.github.pullRequestUrl);
    expect(world.api.checkRuns).toHaveLength(1);
  });

  it('refuses a fix that changes .github/workflows/: nothing pushed, the check run says why', async () => {
    const hooks = hooksFor(world, 'app');
    const ctx = contextFor(world);
    const spec = (await hooks.onStart!(ctx))!.spec as TaskSpec;
    const patch = await patchOf(world, {
      'src/greet.js': FORMATTED,
      '.github/workflows/ci.yml': 'name: CI\non: [push]\njobs: {}\n',
    });
    const kept = (await hooks.onFinish!(ctx, end(spec, fixed(patch)))) as { github: GitHubReport };

    expect(kept.github.error?.code).toBe('workflow_change_refused');
    expect(kept.github.branch).toBeNull();
    expect(await world.remoteGit(['for-each-ref', '--format=%(refname)', 'refs/heads/ci-fixer/'])).toBe('');
    expect(world.api.find('POST', /\/pulls$/)).toEqual([]);
    const [update] = world.api.find('PATCH', /\/check-runs\/\d+$/);
    expect(update?.body.output.summary).toMatch(/\.github\/workflows\/ci\.yml.*GITHUB_ALLOW_WORKFLOW_CHANGES/);
  });

  it('keeps going when GitHub is down: the report is retried a bounded number of times and the error recorded', async () => {
    const hooks = hooksFor(world, 'token');
    const ctx = contextFor(world);
    const spec = (await hooks.onStart!(ctx))!.spec as TaskSpec;
    world.api.fail('PATCH', /\/check-runs\/\d+$/, 502);
    const kept = (await hooks.onFinish!(
      ctx,
      end(spec, { outcome: 'not_fixed', fixer: null, patch: '', patchTruncated: false, commands: [] }),
    )) as { github: GitHubReport };
    expect(kept.github.attempts).toBe(3);
    expect(kept.github.error).toMatchObject({ code: 'github_http_502' });
    expect(world.api.find('PATCH', /\/check-runs\/\d+$/)).toHaveLength(3);
    expect(ctx.lines.filter((l) => l.includes('github: report failed'))).toHaveLength(3);
  });

  it('recovers when GitHub comes back within the attempts, without a second pull request or comment', async () => {
    const hooks = hooksFor(world, 'app');
    const ctx = contextFor(world);
    const spec = (await hooks.onStart!(ctx))!.spec as TaskSpec;
    world.api.fail('PATCH', /\/check-runs\/\d+$/, 500, 1);
    const kept = (await hooks.onFinish!(
      ctx,
      end(spec, fixed(await patchOf(world, { 'src/greet.js': FORMATTED }))),
    )) as { github: GitHubReport };
    expect(kept.github).toMatchObject({ attempts: 2, error: null });
    expect(world.api.find('POST', /\/pulls$/)).toHaveLength(1);
    expect(world.api.find('POST', /\/comments$/)).toHaveLength(1);
    expect(world.api.checkRuns[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
  });

  it('does not retry what GitHub refused for good (a 4xx)', async () => {
    const hooks = hooksFor(world, 'token');
    const ctx = contextFor(world);
    const spec = (await hooks.onStart!(ctx))!.spec as TaskSpec;
    world.api.fail('PATCH', /\/check-runs\/\d+$/, 403);
    const kept = (await hooks.onFinish!(ctx, end(spec, null, 'failed'))) as { github: GitHubReport };
    expect(kept.github).toMatchObject({ attempts: 1, error: { code: 'github_http_403' } });
  });

  it('with a personal token: the sandbox gets no token of it, and the worker pushes with it', async () => {
    const hooks = hooksFor(world, 'token');
    const ctx = contextFor(world);
    const start = await hooks.onStart!(ctx);
    expect(start?.gitToken).toBeUndefined();
    expect(start?.secrets).toEqual([PERSONAL_TOKEN]);
    const kept = (await hooks.onFinish!(
      ctx,
      end(start!.spec as TaskSpec, fixed(await patchOf(world, { 'src/greet.js': FORMATTED }))),
    )) as { github: GitHubReport };
    expect(kept.github.error).toBeNull();
    const pushes = world.remote.requests.filter((r) => r.query === 'service=git-receive-pack');
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.filter((r) => r.authorization !== basic(PERSONAL_TOKEN))).toEqual([]);
  });

  it('reports only what is switched on: no check run, no branch or pull request, just the comment', async () => {
    const hooks = hooksFor(world, 'app', { checkRuns: false, fixPullRequests: false, prComments: true });
    const ctx = contextFor(world);
    const spec = (await hooks.onStart!(ctx))!.spec as TaskSpec;
    const kept = (await hooks.onFinish!(
      ctx,
      end(spec, fixed(await patchOf(world, { 'src/greet.js': FORMATTED }))),
    )) as { github: GitHubReport };
    expect(kept.github).toMatchObject({
      checkRunId: null,
      branch: null,
      pullRequestUrl: null,
      commentUrl: expect.any(String),
      error: null,
    });
    expect(world.api.requests.filter((r) => r.path.includes('/check-runs') || r.path.endsWith('/pulls'))).toEqual([]);
    expect(world.remote.requests.filter((r) => r.query === 'service=git-receive-pack')).toEqual([]);
    expect(world.api.comments[0]?.body).toContain('git apply');
  });

  it('fails the task, naming the line, when .ci-fixer.yml is invalid; the check run is still completed', async () => {
    await world.close();
    world = await startGitHubWorld({
      files: { '.ci-fixer.yml': 'command: npx prettier --check .\nfixers:\n  - prettier\n  - no-such-fixer\n' },
    });
    const hooks = hooksFor(world, 'app');
    const ctx = contextFor(world);
    const error = await hooks.onStart!(ctx).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(TaskError);
    expect((error as TaskError).code).toBe('ci_fixer_yml_invalid');
    expect((error as TaskError).message).toMatch(/^\.ci-fixer\.yml line 4: fixers\.1/);
    await hooks.onFinish!(ctx, {
      state: 'failed',
      spec: ctx.spec,
      result: null,
      error: { code: 'ci_fixer_yml_invalid', message: (error as Error).message },
    });
    expect(world.api.checkRuns[0]).toMatchObject({
      status: 'completed',
      conclusion: 'neutral',
      output: { summary: expect.stringContaining('line 4') },
    });
  });
});
