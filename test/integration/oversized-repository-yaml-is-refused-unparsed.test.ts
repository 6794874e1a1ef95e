// Repository YAML is bounded before the worker parses it: a .ci-fixer.yml over 64 KiB and a
// workflow file over 1 MiB end the task with a typed error naming the file, instead of a parse
// whose time and memory grow far faster than the file. Real git repository, read through the
// worker's own WorkerRepo as a GitHub task's resolution does.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskError } from '../../src/errors.js';
import { resolveTaskSpec } from '../../src/github/resolve-command.js';
import { WorkerRepo } from '../../src/github/worker-git.js';
import type { GitHubOrigin } from '../../src/task.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A repository with `files` committed; returns its file:// URL and the commit. */
async function repoWith(files: Record<string, string>): Promise<{ url: string; sha: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-yaml-cap-'));
  dirs.push(dir);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' },
    })
      .toString()
      .trim();
  git('init', '--quiet', '-b', 'main');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  git('add', '-A');
  git('commit', '--quiet', '-m', 'fixture');
  return { url: `file://${dir}`, sha: git('rev-parse', 'HEAD') };
}

function originFor(url: string, sha: string): GitHubOrigin {
  return {
    event: 'workflow_run',
    deliveryId: 'd1',
    repository: { fullName: 'o/r', cloneUrl: url, defaultBranch: 'main' },
    headSha: sha,
    headBranch: 'main',
    headRepository: null,
    pullRequests: [],
    workflow: { path: '.github/workflows/ci.yml', name: 'CI' },
    runId: 1,
    checkRun: null,
    failedJob: 'lint',
    installationId: null,
  } as GitHubOrigin;
}

async function resolve(files: Record<string, string>) {
  const { url, sha } = await repoWith(files);
  const repo = await WorkerRepo.fetch({ url, sha, branch: 'main', timeoutMs: 60_000 });
  try {
    const origin = originFor(url, sha);
    return await resolveTaskSpec(repo, { repo: { url, ref: 'main' }, github: origin }, origin, () => undefined).then(
      (spec) => ({ spec, error: undefined }),
      (error: unknown) => ({ spec: undefined, error }),
    );
  } finally {
    await repo.dispose();
  }
}

/** Valid YAML of about `bytes` bytes: a mapping of many short keys. */
function padding(bytes: number, indent: string): string {
  const lines: string[] = [];
  for (let i = 0; lines.length * 20 < bytes; i++) lines.push(`${indent}k${String(i).padStart(8, '0')}: v`);
  return lines.join('\n');
}

describe('repository YAML over its cap', () => {
  it('refuses a .ci-fixer.yml over 64 KiB with ci_fixer_yml_too_large, unparsed', async () => {
    const big = `command: make lint\nsetup:\n${padding(100 * 1024, '  ').replace(/^ {2}k/gm, '  - echo k')}\n`;
    expect(big.length).toBeGreaterThan(64 * 1024);
    const { error } = await resolve({ '.ci-fixer.yml': big });
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({ code: 'ci_fixer_yml_too_large', details: { file: '.ci-fixer.yml' } });
    expect((error as Error).message).toMatch(/\.ci-fixer\.yml is \d+ bytes, over the 64 KiB cap/);
  });

  it('refuses a workflow file over 1 MiB with workflow_file_too_large, naming it', async () => {
    const workflow = `name: CI\non: [push]\nenv:\n${padding(2 * 1024 * 1024, '  ')}\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm run lint\n`;
    const { error } = await resolve({ '.github/workflows/ci.yml': workflow });
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({
      code: 'workflow_file_too_large',
      details: { file: '.github/workflows/ci.yml' },
    });
  });

  it('still reads files under the caps', async () => {
    const workflow = `name: CI\non: [push]\nenv:\n${padding(200 * 1024, '  ')}\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm run lint\n`;
    const { spec, error } = await resolve({
      '.ci-fixer.yml': 'fixers: [prettier]\n',
      '.github/workflows/ci.yml': workflow,
    });
    expect(error).toBeUndefined();
    expect(spec).toMatchObject({ command: expect.stringContaining('npm run lint'), fixers: ['prettier'] });
  });
});
