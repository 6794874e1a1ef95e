// The proof: the only run that can make a task `fixed`. A new sandbox from the same provider (a
// new Job; locally a new folder with a fresh HOME), the same commit cloned the same way, exactly
// the patch applied (`git apply --index`, nothing else; committed, as CI sees a fix), then the whole original command under
// the reproduction's shell rules. Nothing the work sandbox's runs, the repository's scripts or the
// model left behind (ignored files, $HOME, background processes) reaches it. Callable on any
// patch, so a minimising pass can prove each smaller candidate the same way.
import { createHash } from 'node:crypto';
import { InfrastructureError } from '../../errors.js';
import type { CommandRecord, ProofResult } from '../../task.js';
import { CommandRuns } from '../compose/runs.js';
import { checkoutRepo, REPO_DIR } from '../git.js';
import { installGitCaBundle } from '../git-ca.js';
import { createCommandRunner, type RunResult } from '../runner.js';
import { runSetup } from '../setup.js';
import type { FixContext } from '../types.js';
import { CANDIDATE_IDENTITY, SCRATCH_DIR, Worktree } from '../worktree.js';

const PATCH_FILE = `${SCRATCH_DIR}/proof.patch`;
/** Output lines of a failed proof put in the task log's summary (the whole output is logged as it runs). */
export const PROOF_TAIL_LINES = 30;

export interface ProofRun {
  passed: boolean;
  proof: ProofResult;
  /** The fresh run's output tail (for the log and the diagnosis of a failed proof). */
  output: string;
  /** `git status --ignored --porcelain` of the fresh checkout after its run (only when it failed). */
  status: string[];
  /** Every command the proof ran (clone, apply, setup, the command), for the task's record. */
  commands: CommandRecord[];
}

export interface ProofInput {
  /** The commit the work sandbox checked out: the proof must check out the same one. */
  commit: string;
  /** The exact patch bytes (a `git diff --binary` of the candidate); empty proves the unchanged commit. */
  patch: Buffer | string;
  /** What is left of the task's time budget. */
  timeoutSeconds: number;
  /** Handed the proof's command records as they are made (so they survive a proof that throws). */
  onRunner?: (commands: CommandRecord[]) => void;
}

export function patchSha256(patch: Buffer | string): string {
  return createHash('sha256').update(patch).digest('hex');
}

/** Runs the proof in a new sandbox of `ctx.createProofSandbox`, always disposed before it returns. */
export async function proveOnFreshCheckout(ctx: FixContext, input: ProofInput): Promise<ProofRun> {
  const sandbox = await ctx.createProofSandbox();
  let commands: CommandRecord[] = [];
  try {
    const proofCtx: FixContext = {
      ...ctx,
      sandbox,
      timeoutSeconds: input.timeoutSeconds,
      log: (stream, text) => ctx.log(stream, stream === 'system' ? `[proof] ${text}` : text),
    };
    const runner = createCommandRunner(proofCtx);
    input.onRunner?.(runner.commands);
    commands = runner.commands;
    const worktree = new Worktree(runner, sandbox);
    await worktree.prepare();
    ctx.log('system', `proof: a fresh checkout of ${input.commit} in ${sandbox.id}`);
    const caInfo =
      ctx.gitCaBundle === undefined ? undefined : await installGitCaBundle(runner, sandbox, ctx.gitCaBundle);
    const commit = await checkoutRepo(
      runner,
      { url: ctx.spec.repo.url, ref: input.commit },
      { token: ctx.gitToken, caInfo },
    );
    if (commit !== input.commit) {
      throw new InfrastructureError('proof_checkout_mismatch', `the proof checked out ${commit}, not ${input.commit}`);
    }
    const bytes = typeof input.patch === 'string' ? Buffer.from(input.patch, 'utf8') : input.patch;
    if (bytes.length > 0) {
      await sandbox.writeFile(PATCH_FILE, bytes);
      const apply = await runner.run(`git apply --index --binary ../${PATCH_FILE}`, {
        cwd: REPO_DIR,
        label: 'git apply --index (the patch, exactly)',
      });
      if (apply.exitCode !== 0) return { ...failed(ctx, input, sandbox.id, commit, bytes, apply, []), commands };
      // Committed, as CI checks a fix (and as the work sandbox checked it): a `git status
      // --porcelain` or `git diff HEAD` in the command sees a clean tree. No hooks run; never pushed.
      const committed = await runner.run(
        "git -c core.hooksPath=/dev/null commit --quiet --no-verify --no-gpg-sign -m 'ci-fixer: the patch under proof (temporary, never pushed)'",
        { cwd: REPO_DIR, env: CANDIDATE_IDENTITY, label: 'git commit (the patch, as CI sees a fix)' },
      );
      if (committed.exitCode !== 0) {
        throw new InfrastructureError('proof_commit_failed', 'could not commit the patch in the proof sandbox', {
          cause: new Error(committed.output.slice(-2000)),
        });
      }
    }
    await runSetup(ctx.spec, runner);
    const runs = new CommandRuns({ runner, sandbox, command: ctx.spec.command, files: new Set() });
    const result = await runs.wholeResult();
    const proof = proofOf(sandbox.id, commit, bytes, ctx.spec.command, result);
    if (result.exitCode === 0) {
      ctx.log('system', `proof: \`${ctx.spec.command}\` exited 0 on a fresh checkout of ${commit}`);
      return { passed: true, proof, output: result.output, status: [], commands };
    }
    const status = await worktree.status().catch(() => []);
    return { ...failed(ctx, input, sandbox.id, commit, bytes, result, status), commands };
  } finally {
    await sandbox.dispose().catch(() => undefined);
  }
}

function proofOf(sandbox: string, commit: string, patch: Buffer, command: string, run: RunResult): ProofResult {
  return {
    sandbox,
    commit,
    patchSha256: patchSha256(patch),
    command,
    exitCode: run.exitCode,
    durationMs: run.durationMs,
  };
}

function failed(
  ctx: FixContext,
  input: ProofInput,
  sandbox: string,
  commit: string,
  patch: Buffer,
  run: RunResult,
  status: string[],
): Omit<ProofRun, 'commands'> {
  const tail = run.output.split('\n').slice(-PROOF_TAIL_LINES).join('\n');
  ctx.log('system', `proof failed: exit ${run.exitCode} on a fresh checkout of ${input.commit}; output tail:\n${tail}`);
  return { passed: false, proof: proofOf(sandbox, commit, patch, ctx.spec.command, run), output: run.output, status };
}

/**
 * What the work sandbox held that the fresh checkout did not, from both sides' `git status
 * --ignored --porcelain` (work: after its passing run; fresh: after its failing run). Entries on
 * both sides are what the command itself leaves (a marker of a first run, or just its outputs);
 * entries of the work sandbox only came from an earlier run, a fixer or the model.
 */
export function describeDifference(work: readonly string[], fresh: readonly string[]): string | null {
  const leftover = (entry: string) => entry.startsWith('!! ') || entry.startsWith('?? ');
  const freshSet = new Set(fresh.filter(leftover));
  const onlyWork = work.filter((e) => leftover(e) && !freshSet.has(e));
  const both = work.filter((e) => leftover(e) && freshSet.has(e));
  const list = (entries: string[]) =>
    entries
      .slice(0, 20)
      .map((e) => e.slice(3))
      .join(', ') + (entries.length > 20 ? `, and ${entries.length - 20} more` : '');
  const parts: string[] = [];
  if (onlyWork.length > 0)
    parts.push(`ignored or untracked files only the work sandbox had (not in the patch): ${list(onlyWork)}`);
  if (both.length > 0)
    parts.push(
      `files the command itself leaves behind, which the passing run in the work sandbox found already there: ${list(both)}`,
    );
  return parts.length === 0 ? null : parts.join('; ');
}

/**
 * The task's proofs, one per distinct patch: the fixers' last whole-command check and the final
 * verdict ask for the same patch, and it is proven once. The proofs' commands join the task's
 * command records as they run.
 */
export class Proofs {
  private readonly done = new Map<string, ProofRun>();

  constructor(
    private readonly ctx: FixContext,
    private readonly commit: string,
    private readonly remainingSeconds: () => number,
    private readonly record: CommandRecord[],
  ) {}

  async prove(patch: Buffer): Promise<ProofRun> {
    const key = patchSha256(patch);
    const known = this.done.get(key);
    if (known !== undefined) return known;
    let commands: CommandRecord[] = [];
    try {
      const run = await proveOnFreshCheckout(this.ctx, {
        commit: this.commit,
        patch,
        timeoutSeconds: this.remainingSeconds(),
        onRunner: (records) => {
          commands = records;
        },
      });
      this.done.set(key, run);
      return run;
    } finally {
      // Recorded even when the proof throws (a timeout), so the task's record shows what ran.
      this.record.push(...commands);
    }
  }
}
