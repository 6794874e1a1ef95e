// Helpers for the python, rust and "other" fixer tests: fixture cases as real repositories, a PATH
// that lacks one tool, and a patch checked the way a user would apply it.
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { FixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { createCaseRepo, type FixtureCase } from '../../scripts/lib/fixtures/repo.js';
import { capturedOutput } from './captured-outputs.js';
import { runPipeline, sh, specFor, type Fixtures, type PipelineRun } from './fix-pipeline.js';
import { startLocalProvider } from './local-sandbox.js';
import type { SandboxProvider } from '../../src/sandbox/types.js';
import type { FixerName } from '../../src/task.js';
import { scrubbedEnv } from '../../scripts/lib/child-env.js';

export async function caseRepo(fixtures: Fixtures, name: string, fixture: FixtureCase): Promise<FixtureRepo> {
  return createCaseRepo(path.join(await fixtures.tempDir(`case-${name}`), 'repo'), name, fixture);
}

/**
 * A PATH with every command of this PATH except `tools`: a directory of symlinks, so the check
 * can still run the tool by its absolute path while `command -v <tool>` fails in the sandbox.
 */
export async function pathWithout(fixtures: Fixtures, tools: readonly string[]): Promise<string> {
  const bin = path.join(await fixtures.tempDir('path-without'), 'bin');
  await mkdir(bin);
  const seen = new Set(tools);
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      await symlink(path.join(dir, name), path.join(bin, name));
    }
  }
  return bin;
}

/** Applies `patch` to a fresh clone of the fixture and runs its command there: does it pass? */
export async function patchMakesCommandPass(
  fixtures: Fixtures,
  repo: FixtureRepo,
  patch: string,
): Promise<{ code: number; output: string }> {
  const dir = path.join(await fixtures.tempDir('apply'), 'clone');
  const clone = await sh(`git clone --quiet ${repo.url} ${dir}`, process.cwd());
  if (clone.code !== 0) return clone;
  await writeFile(path.join(dir, '..', 'fix.patch'), patch);
  const applied = await sh('git apply ../fix.patch', dir);
  if (applied.code !== 0) return applied;
  return sh(repo.command, dir);
}

/**
 * A repository whose CI command replays a stored tool output (test/fixtures/outputs/) and fails,
 * as the CI log showed it: for fixers whose tool cannot run here, or is kept out of the sandbox.
 * With `as`, the replay stands in for that command (a shell function named after its tool), for
 * recognizers that read the command too (`terraform fmt -check` prints only file names).
 */
export function replayCase(
  tool: string,
  name: string,
  files: Record<string, string> = {},
  exitCode = 1,
  as?: string,
): FixtureCase {
  const replay = `cat ci-output.txt; exit ${exitCode}`;
  const command = as === undefined ? replay : `${as.split(' ')[0]}() { cat ci-output.txt; return ${exitCode}; }; ${as}`;
  return { tool, files: { ...files, 'ci-output.txt': capturedOutput(tool, name).output }, command };
}

/** The pipeline on a local sandbox whose PATH lacks `tools`. */
export async function runWithoutTools(
  fixtures: Fixtures,
  repo: FixtureRepo,
  tools: readonly string[],
): Promise<PipelineRun> {
  const { provider } = await startLocalProvider({
    baseEnv: scrubbedEnv({ PATH: await pathWithout(fixtures, tools) }),
  });
  try {
    return await runPipeline(provider, specFor(repo));
  } finally {
    await provider.stop();
  }
}

/**
 * Runs a case through the real pipeline and checks the whole promise: `fixed` by `fixer`, having
 * run `command`, with a patch that makes the CI command pass on a clean clone. Returns the patch.
 */
export async function expectFixedBy(
  fixtures: Fixtures,
  provider: SandboxProvider,
  name: string,
  fixture: FixtureCase,
  fixer: FixerName,
  command: string | RegExp,
): Promise<string> {
  const repo = await caseRepo(fixtures, name, fixture);
  const run = await runPipeline(provider, specFor(repo));
  expect(run.error).toBeUndefined();
  expect(run.result).toMatchObject({ outcome: 'fixed', fixer });
  expect(run.result!.commands.map((c) => c.command)).toContainEqual(
    typeof command === 'string' ? command : expect.stringMatching(command),
  );
  expect(await patchMakesCommandPass(fixtures, repo, run.result!.patch)).toMatchObject({ code: 0 });
  return run.result!.patch;
}

/** Checks a run ended `not_fixed` after `fixer` reported its tool missing with the standard line. */
export function expectToolMissing(run: PipelineRun, fixer: FixerName, tool: string): void {
  expect(run.error).toBeUndefined();
  expect(run.result).toMatchObject({ outcome: 'not_fixed', fixer: null });
  expect(run.logs.map((l) => l.text)).toEqual(
    expect.arrayContaining([`fixers to try: ${fixer}`, `${tool} not found: add it to setup in .ci-fixer.yml`]),
  );
}
