// The fix pipeline: clone -> reproduce and diagnose -> compose fixers round by round (each kept
// only when it makes progress, checked by re-running from the failing step on a temporary commit
// of the candidate, as CI checks a fix) -> the model fixer
// when the tools are not enough -> the guard (a fix never weakens the check) -> the proof: the
// whole original command on a fresh checkout with exactly the patch (proof/) -> patch.
import type { FixResult, TaskPhase } from '../task.js';
import { isTestFailure, modelBudgets } from './agent/pipeline-step.js';
import { modelAllowed, runAgent, type CandidateCheck } from './compose/agent.js';
import { composeFixers, type ComposeResult } from './compose/compose.js';
import { FixFiles } from './compose/files.js';
import { CommandRuns } from './compose/runs.js';
import { expandScripts } from './diagnosis/command-tools.js';
import { namesTreeCheck } from './diagnosis/generated.js';
import { applicableFixers } from './fixers/index.js';
import { checkoutRepo, REPO_DIR } from './git.js';
import { installGitCaBundle } from './git-ca.js';
import { conclude, type End, type Finish } from './conclude.js';
import { loadGuardExceptions } from './guard/apply.js';
import { Proofs } from './proof/index.js';
import { READ_MAX_BYTES } from '../sandbox/types.js';
import { createCommandRunner, type CommandRunner } from './runner.js';
import { runSetup } from './setup.js';
import { shellQuote } from '../shared/shell.js';
import { isManifest } from './steps/plan.js';
import type { Failure, FixContext, Fixer, FixerContext, RunInRepo } from './types.js';
import { Worktree } from './worktree.js';

export type { FixContext } from './types.js';

/** Repository files listed for diagnoses and the model (bounded for huge monorepos). */
const MAX_FILES = 100_000;
const MAX_PACKAGE_JSON_BYTES = 1024 * 1024;
/** Time kept back after a minimising run, for the proof, the patch and the report. */
const AFFORD_MARGIN_MS = 30_000;

export async function runFixPipeline(ctx: FixContext): Promise<FixResult> {
  const startedMs = Date.now();
  const deadline = startedMs + ctx.timeoutSeconds * 1000;
  const runner = createCommandRunner(ctx);
  const worktree = new Worktree(runner, ctx.sandbox);
  const setPhase = phaseSetter(ctx);
  const result = (f: Finish): FixResult => ({
    outcome: f.outcome,
    fixer: f.fixers?.[0] ?? null,
    fixers: f.fixers ?? [],
    diagnosis: f.diagnosis ?? null,
    reason: f.reason ?? null,
    ...(f.reasonCode ? { reasonCode: f.reasonCode } : {}),
    ...(f.proof ? { proof: f.proof } : {}),
    model: f.model ?? null,
    patch: f.patch?.patch ?? '',
    patchTruncated: f.patch?.truncated ?? false,
    ...(f.patch?.stats ? { patchStats: f.patch.stats } : {}),
    commands: runner.commands,
  });

  await setPhase('cloning');
  await worktree.prepare();
  const caInfo =
    ctx.gitCaBundle === undefined ? undefined : await installGitCaBundle(runner, ctx.sandbox, ctx.gitCaBundle);
  const sha = await checkoutRepo(runner, ctx.spec.repo, { token: ctx.gitToken, caInfo });
  ctx.log('system', `checked out ${ctx.spec.repo.ref} at ${sha}`);
  const allow = await loadGuardExceptions(runner, ctx.sandbox, (text) => ctx.log('system', text));

  await setPhase('reproducing');
  await runSetup(ctx.spec, runner);
  const files = await worktree.files(MAX_FILES);
  const scripts = await packageScripts(ctx);
  const runs = new CommandRuns({
    runner,
    sandbox: ctx.sandbox,
    command: ctx.spec.command,
    files: new Set(files),
    ...(scripts ? { scripts } : {}),
  });
  // A tree check's fix may be a file the command generates: what was there before it ran tells.
  const pristine = expandScripts(ctx.spec.command, scripts).some(namesTreeCheck) ? await worktree.untracked() : null;
  const failure = await runs.whole();
  if (failure === null) {
    ctx.log('system', 'the command passed: failure not reproduced');
    return result({ outcome: 'not_reproduced' });
  }
  const diagnosis = failure.diagnosis;
  ctx.log('system', `diagnosis: ${diagnosis.summary}`);

  // Files the command itself created are not part of a fix; only looked up when a fix will run,
  // so a task that nothing can fix ends with its reproducing command.
  const fixable = applicableFixers(failure, ctx.spec.fixers).length > 0 || modelAllowed(ctx);
  const fixFiles = new FixFiles(worktree, fixable ? await worktree.untracked() : new Set<string>(), pristine, fixable);
  const run: RunInRepo = (command, options) => runner.run(command, { ...options, cwd: REPO_DIR });
  const remainingSeconds = () => ctx.timeoutSeconds - (Date.now() - startedMs) / 1000;
  const proofs = new Proofs(ctx, sha, remainingSeconds, runner.commands);
  // Every file a diagnosis names: part of what the fix is about, never minimised away.
  const named = new Set(diagnosis.locations.map((l) => l.path));
  const composed = await fixRounds(ctx, failure, { runner, runs, worktree, fixFiles, setPhase, proofs, named });
  const check: CandidateCheck = (verify) => fixFiles.check(verify, false);
  const end =
    composed.passed || !modelAllowed(ctx)
      ? { passed: composed.passed, fixers: composed.kept, reason: composed.reason, model: null }
      : await afterModel(ctx, setPhase, composed, {
          failure: composed.failure ?? failure,
          runs,
          run,
          files,
          repoDir: REPO_DIR,
          runner,
          check,
          allow,
        });

  // One more run of the whole command fits when twice its last duration, and a margin, are left.
  const affordable = () => {
    const last = runner.commands.filter((c) => c.command === ctx.spec.command).at(-1)?.durationMs ?? 0;
    return deadline - Date.now() > 2 * last + AFFORD_MARGIN_MS;
  };
  return conclude({
    ctx,
    worktree,
    fixFiles,
    named,
    affordable,
    runs,
    composed,
    end,
    diagnosis,
    result,
    sha,
    proofs,
    setPhase,
    runner,
    allow,
    testFailure: isTestFailure(composed.failure ?? failure),
  });
}

/** The tools' rounds (compose/): each fixer's change checked as a commit, then kept or reverted. */
function fixRounds(
  ctx: FixContext,
  failure: Failure,
  deps: {
    runner: CommandRunner;
    runs: CommandRuns;
    worktree: Worktree;
    fixFiles: FixFiles;
    setPhase: (phase: TaskPhase) => Promise<void>;
    proofs: Proofs;
    /** Collects the files each round's diagnosis names. */
    named: Set<string>;
  },
): Promise<ComposeResult> {
  const { runner, runs, worktree, fixFiles } = deps;
  const before = fixFiles.before;
  return composeFixers(failure, {
    ...(ctx.spec.fixers ? { allowed: ctx.spec.fixers } : {}),
    apply: async (fixer, current) => {
      for (const location of current.diagnosis.locations) deps.named.add(location.path);
      await fixFiles.applying();
      const outcome = await applyFixer(ctx, fixer, current, runner, fixFiles);
      await fixFiles.applied(outcome);
      return outcome;
    },
    changed: () => worktree.changedSinceCheckpoint(before),
    keep: () => fixFiles.keep(),
    revert: () => fixFiles.revert(),
    recheck: (current) =>
      fixFiles.check(() => runs.from(current, async () => (await worktree.changedFiles(before)).some(isManifest))),
    // The whole command after the checked steps pass: the proof on a fresh checkout, in place of a
    // run in this sandbox. Only when it fails does this sandbox run it, for the next round's failure
    // (a pass here then is a pass only this sandbox's state gives: the verdict is the proof's).
    verify: async () => {
      const proof = await deps.proofs.prove(await worktree.patchBytes(before, READ_MAX_BYTES + 1));
      return proof.passed ? null : fixFiles.check(() => runs.whole());
    },
    setPhase: deps.setPhase,
    log: (text) => ctx.log('system', text),
  });
}

/** The model fixer on the tree the tools left; the pipeline's own run of the whole command decides. */
async function afterModel(
  ctx: FixContext,
  setPhase: (phase: TaskPhase) => Promise<void>,
  composed: ComposeResult,
  deps: Omit<Parameters<typeof runAgent>[1], 'budgets'> & { runner: CommandRunner },
): Promise<End> {
  const budgets = await modelBudgets(ctx, deps.runner);
  if (budgets === null) return { passed: false, fixers: composed.kept, reason: composed.reason, model: null };
  await setPhase('fixing');
  const agent = await runAgent(ctx, { ...deps, budgets });
  // The agent's last verify() ran the whole command on the candidate the patch is made of; the
  // proof on a fresh checkout replaces a second run of it here.
  const passed = agent.passed;
  return passed
    ? { passed, fixers: [...composed.kept, 'model'], reason: null, model: agent.usage }
    : { passed, fixers: composed.kept, reason: agent.text, model: agent.usage };
}

/** Phase changes only: a round that fixes and verifies again does not repeat them. */
function phaseSetter(ctx: FixContext): (phase: TaskPhase) => Promise<void> {
  let last: TaskPhase | null = null;
  return async (phase) => {
    if (phase === last) return;
    last = phase;
    await ctx.setPhase(phase);
  };
}

/** The root package.json's scripts, to see through `npm run X` in a diagnosis. */
async function packageScripts(ctx: FixContext): Promise<Record<string, string> | undefined> {
  const raw = await ctx.sandbox.readFile(`${REPO_DIR}/package.json`).catch(() => null);
  if (raw === null || raw.length > MAX_PACKAGE_JSON_BYTES) return undefined;
  try {
    const scripts = (JSON.parse(raw.toString('utf8')) as { scripts?: unknown }).scripts;
    if (typeof scripts !== 'object' || scripts === null) return undefined;
    return Object.fromEntries(
      Object.entries(scripts).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  } catch {
    return undefined;
  }
}

/** A fixer runs where the failing step ran (after its `cd`), so its tool sees the same project and config. */
function applyFixer(ctx: FixContext, fixer: Fixer, failure: Failure, runner: CommandRunner, fixFiles: FixFiles) {
  const dir = failure.cwd ? `${REPO_DIR}/${failure.cwd.replace(/\/+$/, '')}` : REPO_DIR;
  const commands = new Map<string, Promise<boolean>>();
  const fixerCtx: FixerContext = {
    run: (command, options) => runner.run(command, { ...options, cwd: dir }),
    command: ctx.spec.command,
    failure,
    createdByCommand: () => fixFiles.createdByCommand(),
    readFile: async (path) =>
      (await ctx.sandbox.readFile(`${dir}/${path}`).catch(() => null))?.toString('utf8') ?? null,
    // Asked once per fixer run: several checks of one fixer ask for the same command.
    hasCommand: (name) => {
      let known = commands.get(name);
      if (known === undefined) {
        known = runner
          .run(`command -v ${shellQuote(name)} >/dev/null 2>&1`, { cwd: REPO_DIR })
          .then((r) => r.exitCode === 0);
        commands.set(name, known);
      }
      return known;
    },
    log: (text) => ctx.log('system', text),
    signal: ctx.signal,
  };
  return fixer.apply(fixerCtx);
}
