// How a task ends once the fixers are done: `fixed` only when the guard finds nothing that weakens
// the check and the proof on a fresh checkout passes; a pass with nothing changed is a flaky
// failure, not a fix.
import { READ_MAX_BYTES } from '../sandbox/types.js';
import type {
  Diagnosis,
  FixResult,
  FixerName,
  ModelUsage,
  NotFixedCode,
  Outcome,
  ProofResult,
  PatchStats,
  TaskPhase,
} from '../task.js';
import type { ComposeResult } from './compose/compose.js';
import type { FixFiles } from './compose/files.js';
import { minimalPatch } from './compose/minimal-patch.js';
import type { CommandRuns } from './compose/runs.js';
import { diagnosedTestFiles, guardFinalPatch } from './guard/apply.js';
import { refusalSummary, type GuardException } from './guard/index.js';
import { describeDifference, type Proofs } from './proof/index.js';
import type { CommandRunner } from './runner.js';
import type { FixContext } from './types.js';
import type { Worktree } from './worktree.js';

export interface Finish {
  outcome: Outcome;
  fixers?: FixerName[];
  diagnosis?: Diagnosis | null;
  reason?: string | null;
  reasonCode?: NotFixedCode;
  proof?: ProofResult;
  model?: ModelUsage | null;
  patch?: { patch: string; truncated: boolean; stats?: PatchStats };
}

export interface End {
  passed: boolean;
  fixers: FixerName[];
  reason: string | null;
  model: ModelUsage | null;
}

/**
 * The outcome: `fixed` only when the guard finds nothing that weakens the check and the proof (the
 * whole command on a fresh checkout with exactly the patch) passes; a pass with no change is a
 * flaky failure.
 */
export async function conclude(c: {
  ctx: FixContext;
  worktree: Worktree;
  fixFiles: FixFiles;
  /** Files the rounds' diagnoses named: never minimised away. */
  named: ReadonlySet<string>;
  /** Whether one more whole-command run fits in the task's time (the minimising pass asks). */
  affordable: () => boolean;
  runs: CommandRuns;
  composed: ComposeResult;
  end: End;
  diagnosis: Diagnosis;
  result: (f: Finish) => FixResult;
  sha: string;
  /** The proofs on a fresh checkout (one per patch; the fixers' last check may have made this one). */
  proofs: Proofs;
  setPhase: (phase: TaskPhase) => Promise<void>;
  runner: CommandRunner;
  /** The repository's guard exceptions (its default branch's .ci-fixer.yml). */
  allow: readonly GuardException[];
  /** The failure the model got was a test failure (its tests are protected). */
  testFailure: boolean;
}): Promise<FixResult> {
  const { ctx, worktree, fixFiles, runs, composed, end, diagnosis, result } = c;
  if (end.passed) {
    // The smallest patch that still passes here (issue 18); the proof below runs on exactly it.
    const patch = await minimalPatch({
      worktree,
      fixFiles,
      runs,
      named: c.named,
      fixers: end.fixers,
      maxBytes: ctx.patchMaxBytes,
      affordable: c.affordable,
      log: (text) => ctx.log('system', text),
    });
    if (patch.patch === '') {
      // It passes with nothing changed: the original failure was flaky, not fixed by us.
      ctx.log('system', 'the command passed with nothing changed: failure not reproducible');
      return result({ outcome: 'not_reproduced', diagnosis, model: end.model });
    }
    return proveAndConclude(c, patch);
  }
  if (
    end.fixers.length === 0 &&
    end.model === null &&
    (composed.unchanged || mayBeFlaky(diagnosis)) &&
    (await rerunPasses(ctx, runs))
  ) {
    // Nothing was changed and the command now passes: a re-run was all it needed.
    ctx.log('system', 'the command passed on a re-run with nothing changed: failure not reproducible (flaky)');
    return result({
      outcome: 'not_reproduced',
      diagnosis,
      reason: 'the command failed once and passed on a re-run with nothing changed: a flaky failure',
    });
  }
  const reason = end.reason ?? 'the command still fails';
  ctx.log('system', `not fixed: ${reason}`);
  return result({ outcome: 'not_fixed', diagnosis, reason, model: end.model });
}

/**
 * The guard, then the proof on a fresh checkout, decide: `fixed` with the proof's record, or
 * `not_fixed` (weakens_check, proof_failed).
 */
async function proveAndConclude(
  c: Parameters<typeof conclude>[0],
  patch: { patch: string; truncated: boolean; stats: PatchStats },
): Promise<FixResult> {
  const { ctx, worktree, end, diagnosis, result } = c;
  const before = c.fixFiles.before;
  await c.setPhase('verifying');
  const notFixed = (reason: string, proof?: ProofResult) => {
    ctx.log('system', `not fixed: ${reason}`);
    return result({
      outcome: 'not_fixed',
      diagnosis,
      reason,
      reasonCode: 'proof_failed',
      model: end.model,
      ...(proof ? { proof } : {}),
    });
  };
  const bytes = await worktree.patchBytes(before, READ_MAX_BYTES + 1);
  if (bytes.length > READ_MAX_BYTES)
    return notFixed(`proof_failed: the patch is larger than ${READ_MAX_BYTES} bytes and cannot be proven`);
  const protectTests = end.fixers.includes('model') && c.testFailure;
  const refusals = await guardFinalPatch({
    runner: c.runner,
    sandbox: ctx.sandbox,
    commit: c.sha,
    patch: bytes.toString('utf8'),
    fixers: end.fixers,
    command: ctx.spec.command,
    protectTests: protectTests,
    testFiles: protectTests ? await diagnosedTestFiles(c.runner, ctx.sandbox, c.sha, diagnosis) : new Set<string>(),
    allow: c.allow,
  });
  if (refusals.length > 0) {
    for (const r of refusals) ctx.log('system', `guard refused ${r.path} [${r.rule}]: ${r.reason}`);
    const reason = refusalSummary(refusals);
    ctx.log('system', `not fixed: ${reason}`);
    return result({ outcome: 'not_fixed', diagnosis, reason, reasonCode: 'weakens_check', model: end.model });
  }
  const run = await c.proofs.prove(bytes);
  if (!run.passed) {
    const differed = describeDifference(await worktree.status().catch(() => []), run.status);
    if (differed !== null) ctx.log('system', `proof: what differed: ${differed}`);
    return notFixed(
      `proof_failed: the command passed in the work sandbox but exited ${run.proof.exitCode} on a fresh checkout of ${c.sha} with exactly the patch${differed ? ` (${differed})` : ''}`,
      run.proof,
    );
  }
  const { files, added, removed } = patch.stats;
  ctx.log(
    'system',
    `fixed by ${end.fixers.join(', ')}: ${files} file(s), +${added} -${removed}${patch.truncated ? ` (patch cut at ${ctx.patchMaxBytes} bytes)` : ''}`,
  );
  return result({ outcome: 'fixed', fixers: end.fixers, diagnosis, model: end.model, patch, proof: run.proof });
}

/**
 * Failures no tool recognises and failing tests are what flakes (a race, a network blip, a cold
 * cache): one re-run on the unchanged tree tells a flaky failure from a real one. Formatters,
 * linters and type checkers are deterministic and are not re-run.
 */
function mayBeFlaky(diagnosis: Diagnosis): boolean {
  return diagnosis.category === 'test' || diagnosis.category === 'unknown';
}

async function rerunPasses(ctx: FixContext, runs: CommandRuns): Promise<boolean> {
  ctx.log('system', 'nothing fixed it and nothing changed: re-running the command once to rule out a flaky failure');
  return (await runs.whole()) === null;
}
