// Composition through the real pipeline on the local sandbox with the real tools: two fixers
// behind one chained command become one patch, an unfixable test failure is diagnosed, garbage
// output is survived, and the model seam gets the tree the tools left and is verified.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createComposeFixture, type ComposeFixture } from '../../scripts/lib/fixtures/compose.js';
import { REPO_DIR } from '../../src/fixer/git.js';
import type { AgentContext, FixAgent } from '../../src/fixer/types.js';
import type { ModelUsage } from '../../src/task.js';
import { runPipeline, sh, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';

const { fixtures, provider } = usePipelineEnvironment();
const repo = async (name: ComposeFixture) =>
  createComposeFixture(path.join(await fixtures.tempDir(`compose-${name}`), 'repo'), name);

// Several real tool runs per test on a machine shared with other work: a generous bound.
const SLOW = 180_000;

const usage: ModelUsage = {
  model: 'scripted',
  steps: 2,
  attempts: 1,
  promptTokens: 120,
  completionTokens: 30,
  modelTimeMs: 5,
  summary: 'sum adds',
};

/** A model fixer of our own interface: it sees what the pipeline hands it and edits through the sandbox. */
function scriptedAgent(edit: ((ctx: AgentContext) => Promise<void>) | null, seen: AgentContext[]): FixAgent {
  return {
    name: 'model',
    async run(ctx) {
      seen.push(ctx);
      if (edit === null) return { passed: false, reason: 'gave_up', usage };
      await edit(ctx);
      const verified = await ctx.verify();
      return { passed: verified.passed, reason: verified.passed ? 'verified' : 'verification_failed', usage };
    },
  };
}

describe('composition of fixers', () => {
  it(
    'fixes eslint and prettier failures behind one chained command with both fixers and one patch',
    async () => {
      const fixture = await repo('eslint-and-prettier');
      const run = await runPipeline(provider(), specFor(fixture));
      expect(run.error).toBeUndefined();
      const result = run.result!;
      expect(result).toMatchObject({
        outcome: 'fixed',
        fixer: 'eslint',
        fixers: ['eslint', 'prettier'],
        reason: null,
        model: null,
      });
      expect(result.diagnosis?.step).toEqual({ index: 0, command: 'npx eslint .' });
      // eslint's change and prettier's on top of it, in one patch.
      expect(result.patch).toMatch(/^\+const defaults = \{ a: 1, b: 2 \};$/m);
      expect(result.patch).toMatch(/^\+export const format = \(value\) => "\[" \+ value \+ "\]";$/m);

      const commands = result.commands.map((c) => c.command);
      expect(commands).toContain('npx eslint --fix .');
      expect(commands).toContain('npx prettier --write .');
      // Between rounds only the failing step re-ran; the last run of the whole command is the proof,
      // on a fresh checkout (in place of a run in the work sandbox), and the patch is taken after it.
      expect(commands.filter((c) => c === 'npx prettier --check .')).toHaveLength(1);
      const wholeRuns = result.commands.filter((c) => c.command === fixture.command);
      expect(wholeRuns.map((c) => c.exitCode)).toEqual([1, 1, 0]);
      expect(commands.at(-1)).toMatch(/^git .*diff/);
      expect(result.proof).toMatchObject({ command: fixture.command, exitCode: 0 });
      expect(commands.filter((c) => c.startsWith('git clone '))).toHaveLength(2);

      const check = path.join(await fixtures.tempDir('compose-check'), 'clone');
      expect((await sh(`git clone --quiet ${fixture.url} ${check}`, process.cwd())).code).toBe(0);
      await writeFile(path.join(check, 'fix.patch'), result.patch);
      expect(await sh('git apply fix.patch && rm fix.patch', check)).toMatchObject({ code: 0 });
      expect(await sh(fixture.command, check)).toMatchObject({ code: 0 });
    },
    SLOW,
  );

  it(
    're-checks from the failing step with the cd replayed and the unchanged install skipped; the proof runs everything',
    async () => {
      const fixture = await repo('install-then-prettier');
      const run = await runPipeline(provider(), specFor(fixture));
      expect(run.error).toBeUndefined();
      const result = run.result!;
      expect(result).toMatchObject({ outcome: 'fixed', fixers: ['prettier'] });
      expect(result.diagnosis?.step).toEqual({ index: 2, command: 'npx prettier --check .' });
      expect(result.patch).toMatch(/^\+\+\+ b\/web\/src\/greet\.js$/m);
      const commands = result.commands.map((c) => c.command);
      expect(commands.filter((c) => c === 'cd web && npx prettier --check .')).toHaveLength(1);
      expect(result.commands.filter((c) => c.command === fixture.command).map((c) => c.exitCode)).toEqual([1, 0]);
    },
    SLOW,
  );

  it('ends a real test failure not_fixed, with a diagnosis naming the test tool, the failing file and the excerpt', async () => {
    const fixture = await repo('node-test-failure');
    const run = await runPipeline(provider(), specFor(fixture));
    expect(run.error).toBeUndefined();
    const result = run.result!;
    expect(result).toMatchObject({ outcome: 'not_fixed', fixer: null, fixers: [], patch: '', model: null });
    expect(result.diagnosis).toMatchObject({
      tool: 'node-test',
      category: 'test',
      step: { index: 1, command: 'node --test' },
    });
    // The failing test file (where the test starts or where its assertion failed, by recognizer).
    expect(result.diagnosis!.locations[0]).toMatchObject({ path: 'test/sum.test.js', line: expect.any(Number) });
    expect(result.diagnosis!.excerpt.some((line) => line.includes('AssertionError'))).toBe(true);
    expect(result.diagnosis!.excerpt.length).toBeLessThanOrEqual(15);
    expect(result.diagnosis!.summary).toMatch(/^node-test failed in test\/sum\.test\.js:\d+ \(test\)$/);
    expect(result.reason).toMatch(/^no fixer recognises this failure/);
  });

  it('survives garbage output: random bytes, one huge line and ANSI noise give unknown', async () => {
    const fixture = await repo('node-test-failure');
    const command =
      "head -c 300000 /dev/urandom; head -c 1100000 /dev/zero | tr '\\0' x; printf '\\033[31;1m\\033]0;t\\007'; exit 3";
    const run = await runPipeline(provider(), specFor(fixture, { command }));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({
      outcome: 'not_fixed',
      diagnosis: { tool: 'unknown', category: 'unknown', locations: [] },
    });
    expect(run.result!.diagnosis!.excerpt.length).toBeLessThanOrEqual(15);
  });
});

describe('the model seam', () => {
  it('hands the model the failure and files, then verifies its fix itself', async () => {
    const fixture = await repo('node-test-failure');
    const seen: AgentContext[] = [];
    const agent = scriptedAgent(async (ctx) => {
      await ctx.sandbox.writeFile(`${ctx.repoDir}/lib/sum.js`, 'export function sum(a, b) {\n  return a + b;\n}\n');
    }, seen);
    const run = await runPipeline(provider(), specFor(fixture), { agent });
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({
      outcome: 'fixed',
      fixer: 'model',
      fixers: ['model'],
      model: usage,
      reason: null,
    });
    expect(run.result!.patch).toContain('+  return a + b;');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ command: fixture.command, repoDir: REPO_DIR, protectTests: true });
    expect(seen[0]!.failure.diagnosis.tool).toBe('node-test');
    expect(seen[0]!.files).toEqual(expect.arrayContaining(['lib/sum.js', 'test/sum.test.js']));
    // Reproduced, verified by the model, then once more by the pipeline.
    expect(run.result!.commands.filter((c) => c.command === fixture.command).map((c) => c.exitCode)).toEqual([1, 0, 0]);
  });

  it('ends not_fixed with the model reason when the model gives up or fails, and is not asked when the task excludes it', async () => {
    const fixture = await repo('node-test-failure');
    const gaveUp = await runPipeline(provider(), specFor(fixture), { agent: scriptedAgent(null, []) });
    expect(gaveUp.result).toMatchObject({
      outcome: 'not_fixed',
      fixers: [],
      model: usage,
      reason: 'the model gave up',
    });
    const broken: FixAgent = {
      name: 'model',
      run: async () => {
        throw new TypeError('endpoint said: secret-ish detail');
      },
    };
    const failed = await runPipeline(provider(), specFor(fixture), { agent: broken });
    expect(failed.error).toBeUndefined();
    expect(failed.result).toMatchObject({
      outcome: 'not_fixed',
      model: null,
      reason: 'the model fixer failed (TypeError)',
    });
    expect(JSON.stringify(failed.result)).not.toContain('secret-ish');
    const seen: AgentContext[] = [];
    const excluded = await runPipeline(provider(), specFor(fixture, { fixers: ['prettier'] }), {
      agent: scriptedAgent(null, seen),
    });
    expect(excluded.result).toMatchObject({ outcome: 'not_fixed', model: null });
    expect(seen).toHaveLength(0);
  });
});
