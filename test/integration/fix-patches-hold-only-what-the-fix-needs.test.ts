// Minimal patches through the real pipeline on the local sandbox, with the real tools: each fixer
// runs the failing check's own scope and flags, and the patch holds only the broken files (not
// the lock file the command's own `npm i` rewrote, not files outside the check's scope).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../../scripts/lib/apply-patch.js';
import {
  createMinimalPatchRepo,
  MINIMAL_PATCH_CASES,
  type MinimalPatchCaseName,
  patchedFiles,
} from '../../scripts/lib/fixtures/minimal-patches.js';
import { runPipeline, sh, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';

// A bound for cold npm/npx, Go and cargo caches; not a timing assertion.
const COLD_CACHE_MS = 300_000;

const { fixtures, provider } = usePipelineEnvironment({ baseEnv: { ...process.env, GOTOOLCHAIN: 'local' } });

async function fixed(name: MinimalPatchCaseName) {
  const repo = await createMinimalPatchRepo(path.join(await fixtures.tempDir(name), 'repo'), name);
  const run = await runPipeline(provider(), specFor(repo), { timeoutSeconds: 600 });
  expect(run.error).toBeUndefined();
  const c = MINIMAL_PATCH_CASES[name];
  expect(run.result).toMatchObject({ outcome: 'fixed', fixers: c.fixers });
  expect(patchedFiles(run.result!.patch)).toEqual(c.patchFiles);
  expect(run.result!.patchStats?.files).toBe(c.patchFiles.length);
  // The patch alone, on a clean copy, makes the command pass.
  const clean = await createMinimalPatchRepo(path.join(await fixtures.tempDir(`${name}-clean`), 'repo'), name);
  await applyPatch(clean.dir, run.result!.patch);
  expect(await sh(repo.command, clean.dir)).toMatchObject({ code: 0 });
  return { run, commands: run.result!.commands.map((c) => c.command) };
}

describe('patches hold only what the fix needs', () => {
  it(
    "eslint 7 on `eslint ./src --ext .ts`: fixes the .ts files only, and drops the lock file the command's npm i rewrote",
    async () => {
      const { run, commands } = await fixed('eslint7-ts-scope');
      expect(commands).toContain('./node_modules/.bin/eslint --fix ./src --ext .ts');
      expect(commands.some((c) => /eslint --fix \.$/.test(c))).toBe(false);
      expect(run.result!.patch).toContain("+  return 'hello, ' + name;");
      // Not .eslintrc.js or jest.config.js (a repository-wide --fix rewrites them), not the lock file.
      expect(run.logs.map((l) => l.text)).toContain('dropped from the patch: package-lock.json');
    },
    COLD_CACHE_MS,
  );

  it(
    'gofmt -s -l with a hint line: the listed file is named, and gofmt -s fixes it',
    async () => {
      const { run, commands } = await fixed('gofmt-simplify-hint');
      expect(run.result!.diagnosis?.locations.map((l) => l.path)).toEqual(['main.go']);
      expect(commands).toContain('"$(go env GOROOT)/bin/gofmt" -s -w main.go');
      expect(run.result!.patch).toContain('+\tfor name := range m {');
    },
    COLD_CACHE_MS,
  );

  it(
    'prettier --check "src/**/*.ts": --write with the same glob leaves scripts/ and docs/ alone',
    async () => {
      const { commands } = await fixed('prettier-glob');
      expect(commands).toContain('npx prettier@3.10.1 --write "src/**/*.ts"');
    },
    COLD_CACHE_MS,
  );

  it(
    'cargo fmt --check -p x in a workspace: cargo fmt -p x formats package x only',
    async () => {
      const { commands } = await fixed('cargo-fmt-package');
      expect(commands).toContain('cargo fmt -p x');
    },
    COLD_CACHE_MS,
  );
});
