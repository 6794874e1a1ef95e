// The `generated` fixer through the real pipeline on the local sandbox: CI commands that generate,
// then demand no diff. The candidate is checked committed (as CI checks a fix), the patch is the
// diff from the original checkout, and afterwards HEAD and the index are the checkout's again.
// Real tools: Go (modules through GOPROXY as the environment sets it), prettier through npx, make.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitPatch } from '../../scripts/lib/apply-patch.js';
import { createGeneratedFixture, type GeneratedFixtureName } from '../../scripts/lib/fixtures/generated.js';
import type { FixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { runPipeline, sh, specFor, usePipelineEnvironment, type PipelineRun } from '../support/fix-pipeline.js';
import { COLD_GO_CACHE_MS, goRepo } from '../support/go-fixtures.js';

const { fixtures, provider } = usePipelineEnvironment();

async function generatedRepo(name: GeneratedFixtureName): Promise<FixtureRepo> {
  return createGeneratedFixture(path.join(await fixtures.tempDir(`generated-${name}`), 'repo'), name);
}

/** The patch's files, in its order. */
function patchedFiles(run: PipelineRun): string[] {
  return [...run.result!.patch.matchAll(/^diff --git a\/(.+?) b\//gm)].map((m) => m[1]!);
}

/** The sandbox checkout after the task: HEAD is the fixture's commit again, nothing is staged. */
async function expectCheckoutRestored(run: PipelineRun, repo: FixtureRepo): Promise<void> {
  const dir = path.join(run.sandbox.workdir, 'repo');
  expect((await sh('git rev-parse HEAD', dir)).output.trim()).toBe(repo.commit);
  expect(await sh('git symbolic-ref -q HEAD', dir)).toMatchObject({ code: 1 }); // still detached
}

/** A clean copy with the patch committed passes the command: the fix holds as CI would check it. */
async function expectPatchPassesOnCleanCopy(run: PipelineRun, fresh: () => Promise<FixtureRepo>): Promise<void> {
  const clean = await fresh();
  await commitPatch(clean.dir, run.result!.patch);
  expect(await sh(clean.command, clean.dir)).toMatchObject({ code: 0 });
}

describe('generated fixer: generate, then demand no diff', () => {
  it(
    'go mod tidy && git diff --exit-code: keeps what go mod tidy wrote to go.mod and go.sum',
    async () => {
      const repo = await goRepo(fixtures, 'go-mod-tidy-diff');
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result!.diagnosis).toMatchObject({
        tool: 'git-diff',
        category: 'generated',
        step: { index: 1, command: 'git diff --exit-code' },
      });
      expect(run.result!.diagnosis!.locations.map((l) => l.path)).toEqual(['go.mod', 'go.sum']);
      expect(run.result!.diagnosis!.summary).toMatch(
        /^tree differs after generation: the command's own steps changed go\.mod, go\.sum/,
      );
      expect(run.result).toMatchObject({ outcome: 'fixed', fixers: ['generated'] });
      expect(patchedFiles(run)).toEqual(['go.mod', 'go.sum']);
      expect(run.result!.patch).toContain('+require github.com/google/uuid v1.6.0');
      // The check ran on a temporary commit of the candidate, and the checkout came back.
      expect(run.result!.commands.map((c) => c.command)).toContain(
        'git commit-tree (the candidate fix as a temporary commit)',
      );
      await expectCheckoutRestored(run, repo);
      await expectPatchPassesOnCleanCopy(run, () => goRepo(fixtures, 'go-mod-tidy-diff'));
    },
    COLD_GO_CACHE_MS,
  );

  it("npx prettier --write . && git diff --exit-code: keeps prettier's rewrite, then the tests after the check pass", async () => {
    const repo = await generatedRepo('prettier-write-diff');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({
      outcome: 'fixed',
      fixers: ['generated'],
      diagnosis: { tool: 'git-diff', locations: [{ path: 'src/sum.js' }] },
    });
    expect(patchedFiles(run)).toEqual(['src/sum.js']);
    expect(run.result!.patch).toContain('+export function sum(values) {');
    await expectCheckoutRestored(run, repo);
    await expectPatchPassesOnCleanCopy(run, () => generatedRepo('prettier-write-diff'));
  }, 180_000);

  it('make generate && test -z "$(git status --porcelain)": commits the stale table and the new module, not the ignored build output', async () => {
    const repo = await generatedRepo('status-porcelain');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result!.diagnosis).toMatchObject({ tool: 'git-diff', category: 'generated', step: { index: 1 } });
    expect(run.result).toMatchObject({ outcome: 'fixed', fixers: ['generated'] });
    expect(patchedFiles(run).sort()).toEqual(['src/gen/about.js', 'src/gen/routes.js']);
    expect(run.result!.patch).toContain('+export const routes = ["/","/about"];');
    expect(run.logs).toContainEqual({
      stream: 'system',
      text: 'generated: committing 1 new file(s) the command generated: src/gen/about.js',
    });
    await expectCheckoutRestored(run, repo);
    await expectPatchPassesOnCleanCopy(run, () => generatedRepo('status-porcelain'));
  }, 120_000);

  it('git diff --exit-code -- src/gen: keeps only what the check looks at, not the tracked build log the generator rewrites', async () => {
    const repo = await generatedRepo('generate-pathspec');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({
      outcome: 'fixed',
      fixers: ['generated'],
      diagnosis: { locations: [{ path: 'src/gen/routes.js' }] },
    });
    // The new module is untracked, which `git diff` does not see: only the stale table is the fix.
    expect(patchedFiles(run)).toEqual(['src/gen/routes.js']);
    await expectCheckoutRestored(run, repo);
    await expectPatchPassesOnCleanCopy(run, () => generatedRepo('generate-pathspec'));
  }, 120_000);

  it("make verify (generator and check in one target): recognised by git's diff in the output, fixed by running the target", async () => {
    const repo = await generatedRepo('make-verify');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result!.diagnosis).toMatchObject({
      tool: 'git-diff',
      category: 'generated',
      locations: [{ path: 'src/gen/routes.js' }],
    });
    expect(run.result).toMatchObject({ outcome: 'fixed', fixers: ['generated'] });
    expect(patchedFiles(run)).toEqual(['src/gen/routes.js']);
    await expectCheckoutRestored(run, repo);
    await expectPatchPassesOnCleanCopy(run, () => generatedRepo('make-verify'));
  }, 120_000);

  it('a diff check that passes once committed, with a failing test after it, ends not_fixed', async () => {
    const run = await runPipeline(provider(), specFor(await generatedRepo('diff-then-test-fails')));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ outcome: 'not_fixed', patch: '', fixers: [] });
    // The generated output was progress (the check passed), but the test after it is a real failure.
    expect(run.logs).toContainEqual({ stream: 'system', text: 'fixer generated kept (later)' });
    expect(run.result!.reason).toMatch(
      /^after generated the command still fails and no fixer recognises it: node-test failed/,
    );
  }, 180_000);

  it('a generator whose output changes on every run is no fix: not_fixed', async () => {
    const repo = await generatedRepo('nondeterministic');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ outcome: 'not_fixed', patch: '' });
    expect(run.logs).toContainEqual({ stream: 'system', text: 'fixer generated made it no better (same): reverted' });
    await expectCheckoutRestored(run, repo);
    // Reverted: the index is the checkout's again, nothing of the candidate stays staged.
    expect(await sh('git diff --cached --quiet', path.join(run.sandbox.workdir, 'repo'))).toMatchObject({ code: 0 });
  }, 120_000);
});
