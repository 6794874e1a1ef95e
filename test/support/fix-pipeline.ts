// Runs the real fix pipeline on the real local sandbox against fixture repositories.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createFixtureRepo, type FixtureRepo, type FixtureVariant } from '../../scripts/lib/git-fixtures.js';
import { checkoutRepo } from '../../src/fixer/git.js';
import { runFixPipeline } from '../../src/fixer/pipeline.js';
import { createCommandRunner, type CommandRunner } from '../../src/fixer/runner.js';
import { Worktree } from '../../src/fixer/worktree.js';
import type { FixContext } from '../../src/fixer/types.js';
import type { LocalSandboxProviderOptions } from '../../src/sandbox/local.js';
import type { Sandbox, SandboxProvider } from '../../src/sandbox/types.js';
import type { FixResult, LogStream, TaskPhase, TaskSpec } from '../../src/task.js';
import { startLocalProvider } from './local-sandbox.js';
import { scrubbedEnv } from '../../scripts/lib/child-env.js';

export interface PipelineRun {
  result: FixResult | undefined;
  error: unknown;
  logs: Array<{ stream: LogStream; text: string }>;
  phases: TaskPhase[];
  /** Still open, so a test can look inside; the provider's stop() disposes it. */
  sandbox: Sandbox;
}

let counter = 0;

export async function runPipeline(
  provider: SandboxProvider,
  spec: TaskSpec,
  overrides: Partial<Omit<FixContext, 'sandbox' | 'spec'>> = {},
): Promise<PipelineRun> {
  const taskId = overrides.taskId ?? `pipeline-${process.pid}-${++counter}`;
  const timeoutSeconds = overrides.timeoutSeconds ?? 300;
  const sandbox = await provider.create({ taskId, timeoutSeconds });
  const logs: PipelineRun['logs'] = [];
  const phases: TaskPhase[] = [];
  const ctx: FixContext = {
    taskId,
    spec,
    timeoutSeconds,
    sandbox,
    log: (stream, text) => void logs.push({ stream, text }),
    setPhase: async (phase) => void phases.push(phase),
    signal: new AbortController().signal,
    patchMaxBytes: 1024 * 1024,
    // The proof's fresh sandbox: a new one from the same provider, as the worker makes it.
    createProofSandbox: () => provider.create({ taskId, timeoutSeconds, role: 'proof' }),
    ...overrides,
  };
  try {
    return { result: await runFixPipeline(ctx), error: undefined, logs, phases, sandbox };
  } catch (error) {
    return { result: undefined, error, logs, phases, sandbox };
  }
}

/** A sandbox with `repo` checked out as the pipeline does, and the Worktree over it, for tests of the checkout between fixers. */
export async function checkedOutWorktree(
  provider: SandboxProvider,
  repo: FixtureRepo,
  taskId: string,
): Promise<{ sandbox: Sandbox; runner: CommandRunner; worktree: Worktree; sha: string }> {
  const sandbox = await provider.create({ taskId, timeoutSeconds: 120 });
  const runner = createCommandRunner({
    taskId,
    spec: specFor(repo),
    timeoutSeconds: 120,
    sandbox,
    log: () => undefined,
    setPhase: async () => undefined,
    signal: new AbortController().signal,
    patchMaxBytes: 1 << 20,
    createProofSandbox: () => provider.create({ taskId: `${taskId}-proof`, timeoutSeconds: 120, role: 'proof' }),
  });
  const worktree = new Worktree(runner, sandbox);
  await worktree.prepare();
  const sha = await checkoutRepo(runner, { url: repo.url, ref: repo.branch });
  return { sandbox, runner, worktree, sha };
}

export function specFor(repo: FixtureRepo, extra: Partial<TaskSpec> = {}): TaskSpec {
  return { repo: { url: repo.url, ref: repo.branch }, command: repo.command, ...extra };
}

/** Fixture repositories in temp dirs, removed by cleanup(). */
export class Fixtures {
  private dirs: string[] = [];

  async tempDir(label: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `ci-fixer-${label}-`));
    this.dirs.push(dir);
    return dir;
  }

  async repo(variant: FixtureVariant): Promise<FixtureRepo> {
    return createFixtureRepo(path.join(await this.tempDir(`fixture-${variant}`), 'repo'), variant);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    this.dirs = [];
  }
}

/** Runs a shell command outside any sandbox (to check a patch as a user would). */
export function sh(command: string, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      { cwd, timeout: 120_000, env: scrubbedEnv({ npm_config_yes: 'true', npm_config_update_notifier: 'false' }) },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/**
 * Per-file setup for pipeline tests: a started local provider and fixture repositories, both
 * cleaned up after the file. Read `provider` inside tests (it is set in beforeAll).
 */
export function usePipelineEnvironment(options: Partial<LocalSandboxProviderOptions> = {}): {
  fixtures: Fixtures;
  provider: () => SandboxProvider;
} {
  const fixtures = new Fixtures();
  let provider: SandboxProvider | undefined;
  beforeAll(async () => {
    ({ provider } = await startLocalProvider(options));
  });
  afterAll(async () => {
    await provider?.stop();
    await fixtures.cleanup();
  });
  return {
    fixtures,
    provider: () => {
      if (provider === undefined) throw new Error('usePipelineEnvironment: provider is only available inside tests');
      return provider;
    },
  };
}
