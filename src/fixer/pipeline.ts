// The fix pipeline, first version: clone -> reproduce -> for each applicable fixer: fix, verify.
// Fixers are tried one at a time on a clean checkout, so the reported fixer is the one whose
// change alone made the command pass, and the patch is exactly that change.
import { TaskError } from '../errors.js';
import type { FixResult, FixerName, Outcome } from '../task.js';
import { diagnose } from './diagnosis/index.js';
import { runModelStep } from './agent/pipeline-step.js';
import { applicableFixers } from './fixers/index.js';
import { checkoutRepo, REPO_DIR } from './git.js';
import { createCommandRunner } from './runner.js';
import { shellQuote } from './shell.js';
import type { Failure, FixContext, FixerContext } from './types.js';
import { Worktree } from './worktree.js';

export type { FixContext } from './types.js';

export async function runFixPipeline(ctx: FixContext): Promise<FixResult> {
  const runner = createCommandRunner(ctx);
  const worktree = new Worktree(runner, ctx.sandbox);
  const result = (outcome: Outcome, fixer: FixerName | null = null, patch = '', patchTruncated = false): FixResult => ({
    outcome,
    fixer,
    patch,
    patchTruncated,
    commands: runner.commands,
  });

  await ctx.setPhase('cloning');
  await worktree.prepare();
  const sha = await checkoutRepo(runner, ctx.spec.repo, ctx.gitToken);
  ctx.log('system', `checked out ${ctx.spec.repo.ref} at ${sha}`);

  await ctx.setPhase('reproducing');
  // Install steps from the repository's .ci-fixer.yml: a failing one is the task's error, not a failure to fix.
  for (const [index, step] of (ctx.spec.setup ?? []).entries()) {
    const setup = await runner.run(step, { cwd: REPO_DIR });
    if (setup.exitCode !== 0) throw new TaskError('setup_failed', `setup step ${index + 1} failed with exit code ${setup.exitCode}: ${step}`);
  }
  const repro = await runner.run(ctx.spec.command, { cwd: REPO_DIR });
  if (repro.exitCode === 0) {
    ctx.log('system', 'the command passed: failure not reproduced');
    return result('not_reproduced');
  }
  const failure: Failure = {
    command: ctx.spec.command,
    exitCode: repro.exitCode,
    output: repro.output,
    diagnosis: diagnose({ command: ctx.spec.command, exitCode: repro.exitCode, output: repro.output }),
  };
  const fixers = applicableFixers(failure, ctx.spec.fixers);
  // ---- model fixer (issue 10; the lead reconciles this with fix-core's composition) ----
  // When no deterministic fixer applies or none made the command pass, the model-backed fixer
  // gets the failure on a clean tree (no fixer's change was kept); its result, or not_fixed.
  const viaModel = async (tried?: Set<string>): Promise<FixResult> => {
    if (ctx.agent === undefined) return result('not_fixed');
    if (tried !== undefined) await worktree.reset(tried);
    const before = tried ?? (await worktree.untracked());
    return (await runModelStep(ctx, { runner, worktree, before, failure })) ?? result('not_fixed');
  };
  // ---- end model fixer ----
  if (fixers.length === 0) {
    ctx.log('system', 'no fixer recognises this failure');
    return viaModel();
  }
  ctx.log('system', `fixers to try: ${fixers.map((f) => f.name).join(', ')}`);

  const before = await worktree.untracked();
  for (const [index, fixer] of fixers.entries()) {
    await ctx.setPhase('fixing');
    if (index > 0) await worktree.reset(before);
    ctx.log('system', `applying fixer ${fixer.name}`);
    const fixerCtx: FixerContext = {
      run: (command, options) => runner.run(command, { ...options, cwd: REPO_DIR }),
      failure,
      readFile: async (path) => (await ctx.sandbox.readFile(`${REPO_DIR}/${path}`).catch(() => null))?.toString('utf8') ?? null,
      hasCommand: async (name) => (await runner.run(`command -v ${shellQuote(name)} >/dev/null 2>&1`, { cwd: REPO_DIR })).exitCode === 0,
      log: (text) => ctx.log('system', text),
      signal: ctx.signal,
    };
    const applied = await fixer.apply(fixerCtx);
    if (applied.status !== 'applied') {
      ctx.log('system', applied.message);
      continue;
    }

    await ctx.setPhase('verifying');
    const verify = await runner.run(ctx.spec.command, { cwd: REPO_DIR });
    if (verify.exitCode !== 0) {
      ctx.log('system', `fixer ${fixer.name} did not make the command pass`);
      continue;
    }
    const { patch, truncated } = await worktree.patch(before, ctx.patchMaxBytes);
    if (patch === '') {
      // It passes with nothing changed: the original failure was flaky, not fixed by us.
      ctx.log('system', `the command passed but fixer ${fixer.name} changed nothing: failure not reproducible`);
      return result('not_reproduced');
    }
    ctx.log('system', `fixed by ${fixer.name}${truncated ? ` (patch cut at ${ctx.patchMaxBytes} bytes)` : ''}`);
    return result('fixed', fixer.name, patch, truncated);
  }
  return viaModel(before);
}
