// The guard in the pipeline: the texts it needs read from the work sandbox's checkout, the
// repository's exceptions read from its default branch, and the verdict on the final patch.
import type { Diagnosis, FixerName } from '../../task.js';
import { looksLikeTestSource } from '../agent/guardrails.js';
import { CI_FIXER_FILE, parseCiFixerFile } from '../repo-config.js';
import { REPO_DIR } from '../git.js';
import type { CommandRunner } from '../runner.js';
import type { Sandbox } from '../../sandbox/types.js';
import { shellQuote } from '../../shared/shell.js';
import { SCRATCH_DIR } from '../worktree.js';
import {
  contentPaths,
  judgePatch,
  parseUnifiedDiff,
  type GuardContext,
  type GuardException,
  type Refusal,
} from './index.js';

const TEXT_MAX_BYTES = 2 * 1024 * 1024;

/** A file's text at `rev` in the checkout, or null when it has none there. */
async function textAt(runner: CommandRunner, sandbox: Sandbox, rev: string, path: string): Promise<string | null> {
  const out = `../${SCRATCH_DIR}/guard-text`;
  const show = await runner.run(`git show ${shellQuote(`${rev}:${path}`)} > ${out} 2>/dev/null`, {
    cwd: REPO_DIR,
    label: `git show ${rev.slice(0, 12)}:${path} (for the guard)`,
  });
  if (show.exitCode !== 0) return null;
  return (await sandbox.readFile(`${SCRATCH_DIR}/guard-text`, TEXT_MAX_BYTES)).toString('utf8');
}

/**
 * The repository's `guard.allow` from .ci-fixer.yml on its default branch (origin/HEAD of the
 * clone), read before any of the task's commands run: never the failing commit's copy (a pull
 * request, or a fork's, could allow itself anything), never the task's request.
 */
export async function loadGuardExceptions(
  runner: CommandRunner,
  sandbox: Sandbox,
  log: (text: string) => void,
): Promise<GuardException[]> {
  const text = await textAt(runner, sandbox, 'origin/HEAD', CI_FIXER_FILE);
  if (text === null) return [];
  try {
    const allow = parseCiFixerFile(text).guard?.allow ?? [];
    if (allow.length > 0)
      log(
        `guard: the default branch's ${CI_FIXER_FILE} allows ${allow.map((a) => `${a.rule ?? 'any rule'} on ${a.path}`).join(', ')}`,
      );
    return allow.map((a) => ({ path: a.path, ...(a.rule ? { rule: a.rule } : {}) }));
  } catch {
    log(`guard: the default branch's ${CI_FIXER_FILE} is invalid; no exceptions apply`);
    return [];
  }
}

/** Test files the diagnosis names (by their source, as the model's guardrails read them). */
export async function diagnosedTestFiles(
  runner: CommandRunner,
  sandbox: Sandbox,
  commit: string,
  diagnosis: Diagnosis,
): Promise<Set<string>> {
  const files = new Set<string>();
  for (const path of new Set(diagnosis.locations.map((l) => l.path))) {
    const text = await textAt(runner, sandbox, commit, path);
    if (text !== null && looksLikeTestSource(text) && !path.endsWith('.rs')) files.add(path);
  }
  return files;
}

/** The guard's refusals of the final patch (empty: it weakens nothing). */
export async function guardFinalPatch(c: {
  runner: CommandRunner;
  sandbox: Sandbox;
  commit: string;
  patch: string;
  fixers: readonly FixerName[];
  /** The model fixed a test failure: test files are protected. */
  protectTests: boolean;
  command: string;
  testFiles: ReadonlySet<string>;
  allow: readonly GuardException[];
}): Promise<Refusal[]> {
  const files = parseUnifiedDiff(c.patch);
  const before = new Map<string, string | null>();
  for (const path of contentPaths(files)) before.set(path, await textAt(c.runner, c.sandbox, c.commit, path));
  const ctx: GuardContext = {
    command: c.command,
    testFiles: c.testFiles,
    model: c.fixers.includes('model'),
    protectTests: c.protectTests,
    generated: c.fixers.includes('generated'),
    allow: c.allow,
  };
  return judgePatch(files, before, ctx);
}
