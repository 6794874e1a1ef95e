// The "generate, then demand no diff" fixer (`go mod tidy && git diff --exit-code`, `npx prettier
// --write . && git diff --exit-code`, `make fmt && test -z "$(git status --porcelain)"`): the
// command's own steps before the check produce the fix, so it runs them again on the current tree
// and keeps what they wrote. The pipeline then checks the candidate as CI would, committed (the
// diff check sees a clean tree only then), and proves it with the whole command: a generator
// whose output changes from run to run, or a failing step after the check, is never a fix.
import { checkPathspec, isPureTreeCheck, seesUntracked } from '../../diagnosis/generated.js';
import { shellQuote } from '../../../shared/shell.js';
import { asScript } from '../../steps/plan.js';
import { splitSteps } from '../../steps/split.js';
import type { Fixer, FixerContext, FixerOutcome } from '../../types.js';

const TOP = 'cd "$(git rev-parse --show-toplevel)"';
/** More new files than this is no generator's output a fix should commit (a build tree). */
const MAX_NEW_FILES = 200;
const MAX_NEW_FILE_BYTES = 1024 * 1024;

export interface Generation {
  /** The steps to run, as one script from the repository root. */
  script: string;
  /** The failing step: the check, with or without a generator of its own. */
  check: string;
  /** The failing step is only the check: the earlier steps must pass for their output to count. */
  pure: boolean;
}

/**
 * Pure: what generates the tree the failing check compares. For a step that is only the check
 * (`git diff --exit-code`), the steps before it (state and installs included, as the command ran
 * them); for a step that checks its own output (`make verify`), the steps up to and including it.
 * Null when nothing runs before a pure check, or the failing step of a chain is unknown.
 */
export function generation(command: string, step: { index: number; command: string } | null): Generation | null {
  const steps = splitSteps(command);
  const failing = step ?? (steps.length === 1 ? steps[0]! : null);
  if (failing === null) return null;
  const pure = isPureTreeCheck(failing.command);
  const upTo = pure ? failing.index : failing.index + 1;
  if (upTo === 0) return null;
  return { script: asScript(steps.slice(0, upTo)), check: failing.command, pure };
}

const skipped = (message: string): FixerOutcome => ({ status: 'skipped', message: `generated: ${message}` });

/** Pathspec words as the check wrote them, excluded from `git restore` (they go back into the same shell). */
function excluded(scope: readonly string[]): string {
  return scope.map((word) => `':(exclude)'${word}`).join(' ');
}

/**
 * Generated new files a status check wants committed: those the command created (not the setup,
 * not an earlier checkout), inside the check's pathspec, text and of a source file's size. Build
 * outputs that are not ignored (a binary) stay out, and so the check keeps failing on them.
 */
async function newFiles(ctx: FixerContext, scope: readonly string[] | null): Promise<string[]> {
  const created = new Set(await ctx.createdByCommand());
  if (created.size === 0) return [];
  const listed = await ctx.run(
    `git -c core.quotePath=false ls-files --full-name --others --exclude-standard -- ${scope ? scope.join(' ') : ':/'}`,
  );
  const inScope = listed.stdoutLines.filter((name) => created.has(name));
  if (inScope.length === 0) return [];
  if (inScope.length > MAX_NEW_FILES) {
    ctx.log(
      `generated: the command created ${inScope.length} new files (more than ${MAX_NEW_FILES}): not committing them`,
    );
    return [];
  }
  const test = `[ -f "$f" ] && [ ! -L "$f" ] && [ "$(wc -c < "$f")" -le ${MAX_NEW_FILE_BYTES} ] && { [ ! -s "$f" ] || grep -Iq '' "$f"; }`;
  const text = await ctx.run(
    `${TOP} && for f in ${inScope.map(shellQuote).join(' ')}; do if ${test}; then printf '%s\\n' "$f"; fi; done`,
  );
  const kept = text.stdoutLines.filter((name) => created.has(name));
  const left = inScope.filter((name) => !kept.includes(name));
  if (left.length > 0)
    ctx.log(
      `generated: not committing ${left.length} new file(s) that look like build output (binary or large): ${left.slice(0, 5).join(', ')}`,
    );
  return kept;
}

export const generatedFixer: Fixer = {
  name: 'generated',
  ecosystem: 'other',
  detect: (failure) => failure.diagnosis.tool === 'git-diff' && failure.diagnosis.category === 'generated',
  async apply(ctx) {
    const plan = generation(ctx.command, ctx.failure.diagnosis.step);
    if (plan === null) return skipped('no step before the failing check generates anything');
    const ran = await ctx.run(`${TOP} && { ${plan.script}\n}`);
    if (plan.pure && ran.exitCode !== 0)
      return skipped(
        `the command's steps before the check failed (exit ${ran.exitCode}) on this tree: their output is no fix`,
      );
    const scope = checkPathspec(plan.check);
    // What the check does not look at is not part of the fix (a build output, another package's files).
    if (scope !== null) await ctx.run(`git restore --worktree --quiet -- :/ ${excluded(scope)}`);
    const include = seesUntracked(plan.check) ? await newFiles(ctx, scope) : [];
    if (include.length > 0)
      ctx.log(
        `generated: committing ${include.length} new file(s) the command generated: ${include.slice(0, 5).join(', ')}`,
      );
    return { status: 'applied', include };
  },
};

export const generatedFixers: readonly Fixer[] = [generatedFixer];
