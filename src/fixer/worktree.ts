// The repository checkout between fixers: which files are new, how to undo a fixer that did not
// help, how a candidate is checked (as a temporary commit, the way CI sees a fix), and the patch
// of one that did. Lists travel through files (NUL-separated) rather than
// command output, so any file name survives.
import type { Sandbox } from '../sandbox/types.js';
import { InfrastructureError, TaskError } from '../errors.js';
import { REPO_DIR } from './git.js';
import { capPatch, parseShortstat } from './patch.js';
import type { PatchStats } from '../task.js';
import type { CommandRunner } from './runner.js';

/** Pipeline scratch files; a sibling of the checkout so they never show up in its diff. */
export const SCRATCH_DIR = '.ci-fixer';

/** The absolute path in the sandbox of `relative`, a path under its workdir (REPO_DIR, SCRATCH_DIR/...). */
export function inWorkdir(sandbox: Pick<Sandbox, 'workdir'>, relative: string): string {
  return `${sandbox.workdir.replace(/\/+$/, '')}/${relative}`;
}
/**
 * Most untracked files a checkout may hold while fixers run. The list lives in the worker's memory
 * (to tell a fixer's new files apart); a command that litters more than this fails the task.
 */
export const MAX_UNTRACKED_FILES = 20_000;
/** Bound on the list's bytes: MAX_UNTRACKED_FILES paths of a generous average length. */
const UNTRACKED_LIST_MAX_BYTES = MAX_UNTRACKED_FILES * 256;
/** The temporary candidate commits' author and committer: fixed, so no host or repository config matters. */
export const CANDIDATE_IDENTITY = {
  GIT_AUTHOR_NAME: 'ci-fixer',
  GIT_AUTHOR_EMAIL: 'ci-fixer@localhost.invalid',
  GIT_AUTHOR_DATE: '1700000000 +0000',
  GIT_COMMITTER_NAME: 'ci-fixer',
  GIT_COMMITTER_EMAIL: 'ci-fixer@localhost.invalid',
  GIT_COMMITTER_DATE: '1700000000 +0000',
};
const S = `../${SCRATCH_DIR}`;
const STATUS_MAX = 2000;

export interface CappedPatch {
  patch: string;
  truncated: boolean;
  /** Of the whole patch, also when the text was cut. */
  stats: PatchStats;
}

/** A tree id as the pipeline wrote it (hex), checked before it goes into a command line. */
function treeish(id: string): string {
  if (!/^(?:HEAD|[0-9a-f]{40,64})$/.test(id))
    throw new InfrastructureError('worktree_command_failed', `not a tree id: ${id.slice(0, 80)}`);
  return id;
}

export class Worktree {
  /** The tree of the candidate the last check ran on (onCandidate): what a passing check proved. */
  private checked: string | null = null;

  constructor(
    private readonly runner: CommandRunner,
    private readonly sandbox: Sandbox,
  ) {}

  async prepare(): Promise<void> {
    await this.sandbox.writeFile(`${SCRATCH_DIR}/.keep`, '');
  }

  /** Untracked files that are not ignored. */
  async untracked(): Promise<Set<string>> {
    const out = `../${SCRATCH_DIR}/untracked`;
    // head bounds the list in the sandbox; one file past the cap is enough to know it is over.
    await this.mustRun(`git ls-files -z --others --exclude-standard | head -z -n ${MAX_UNTRACKED_FILES + 1} > ${out}`);
    const bytes = await this.sandbox.readFile(`${SCRATCH_DIR}/untracked`, UNTRACKED_LIST_MAX_BYTES + 1);
    const names = bytes
      .toString('utf8')
      .split('\0')
      .filter((name) => name.length > 0);
    if (names.length > MAX_UNTRACKED_FILES || bytes.length > UNTRACKED_LIST_MAX_BYTES) {
      throw new TaskError(
        'too_many_untracked_files',
        `the checkout holds more than ${MAX_UNTRACKED_FILES} untracked files (or their names exceed ${UNTRACKED_LIST_MAX_BYTES} bytes) after the command ran; add them to .gitignore`,
      );
    }
    return new Set(names);
  }

  /** Files created since `before` (a snapshot taken once the failure was reproduced). */
  async addedSince(before: Set<string>): Promise<string[]> {
    return [...(await this.untracked())].filter((name) => !before.has(name));
  }

  /** Undoes a fixer: tracked files back to HEAD, files it created removed. */
  async reset(before: Set<string>): Promise<void> {
    await this.mustRun('git reset --hard --quiet HEAD');
    await this.removeAddedSince(before);
  }

  /**
   * Keeps the tree as it is now (after a fixer that helped): its changes and new files are staged,
   * so restore() can undo a later fixer without losing this one.
   */
  async checkpoint(before: Set<string>): Promise<void> {
    await this.mustRun('git add --update');
    const added = await this.addedSince(before);
    if (added.length === 0) return;
    await this.sandbox.writeFile(`${SCRATCH_DIR}/added`, added.join('\0'));
    await this.mustRun(`git add --pathspec-from-file=../${SCRATCH_DIR}/added --pathspec-file-nul`, {
      GIT_LITERAL_PATHSPECS: '1',
    });
  }

  /** Back to the last checkpoint: tracked files from the index, files created since removed. */
  async restore(before: Set<string>): Promise<void> {
    await this.mustRun('git checkout-index --all --force');
    await this.removeAddedSince(before);
  }

  private async removeAddedSince(before: Set<string>): Promise<void> {
    const added = await this.addedSince(before);
    if (added.length === 0) return;
    await this.sandbox.writeFile(`${SCRATCH_DIR}/added`, added.join('\0'));
    await this.mustRun(`xargs -0 rm -f -- < ../${SCRATCH_DIR}/added`);
  }

  /** Whether anything changed since the last checkpoint (content, not timestamps). */
  async changedSinceCheckpoint(before: Set<string>): Promise<boolean> {
    const diff = await this.runner.run('git diff --quiet --no-ext-diff', { cwd: REPO_DIR });
    if (diff.exitCode > 1)
      throw new InfrastructureError('worktree_command_failed', 'git diff --quiet failed in the checkout');
    return diff.exitCode === 1 || (await this.addedSince(before)).length > 0;
  }

  /** Paths changed against HEAD (tracked and created since `before`), relative to the root. */
  async changedFiles(before: Set<string>): Promise<string[]> {
    await this.mustRun(`git -c core.quotePath=false diff --name-only -z HEAD > ../${SCRATCH_DIR}/changed`);
    const text = (await this.sandbox.readFile(`${SCRATCH_DIR}/changed`)).toString('utf8');
    return [...text.split('\0').filter((name) => name.length > 0), ...(await this.addedSince(before))];
  }

  /** Tracked and untracked (not ignored) files of the checkout, at most `max`. */
  async files(max: number): Promise<string[]> {
    await this.mustRun(`git ls-files -z --cached --others --exclude-standard > ../${SCRATCH_DIR}/files`);
    const text = (await this.sandbox.readFile(`${SCRATCH_DIR}/files`)).toString('utf8');
    return text
      .split('\0')
      .filter((name) => name.length > 0)
      .slice(0, max);
  }

  /**
   * Runs `check` the way CI checks a fix: committed. The candidate (the checkpoint, the tree's
   * changes and the files created since `before`) becomes a temporary commit on the detached HEAD
   * with the index matching it, so `git diff --exit-code`, `git status --porcelain` and `git diff
   * HEAD` see a clean tree. Afterwards HEAD is the checkout again and the index the checkpoint;
   * the worktree keeps whatever the check wrote. The commit runs no hooks and is never pushed.
   */
  async onCandidate<T>(before: Set<string>, check: () => Promise<T>): Promise<T> {
    await this.commitCandidate(before);
    let result: T;
    try {
      result = await check();
    } catch (error) {
      await this.uncommit().catch(() => undefined); // the check's own error (a cancel, a timeout) is the one to report
      throw error;
    }
    await this.uncommit();
    return result;
  }

  private async commitCandidate(before: Set<string>): Promise<void> {
    const added = await this.addedSince(before);
    await this.sandbox.writeFile(`${SCRATCH_DIR}/added`, added.join('\0'));
    const script = [
      `git rev-parse --verify --quiet HEAD > ${S}/base`,
      `git write-tree > ${S}/kept`,
      'git add --update',
      ...(added.length > 0 ? [`git add --pathspec-from-file=${S}/added --pathspec-file-nul`] : []),
      `git write-tree > ${S}/candidate`,
      `commit=$(git commit-tree --no-gpg-sign -p "$(cat ${S}/base)" -m 'ci-fixer: candidate fix (temporary, never pushed)' "$(cat ${S}/candidate)")`,
      'git -c core.hooksPath=/dev/null update-ref --no-deref HEAD "$commit"',
    ].join(' && ');
    await this.mustRun(
      script,
      { ...CANDIDATE_IDENTITY, GIT_LITERAL_PATHSPECS: '1' },
      'git commit-tree (the candidate fix as a temporary commit)',
    );
    this.checked = (await this.sandbox.readFile(`${SCRATCH_DIR}/candidate`)).toString('utf8').trim();
  }

  private async uncommit(): Promise<void> {
    // --reset keeps the index's stat data where content matches (no rehash of the whole tree), and
    // unlike -m it does not refuse files the check changed in the worktree (they stay as they are).
    const script = `git -c core.hooksPath=/dev/null update-ref --no-deref HEAD "$(cat ${S}/base)" && git read-tree --reset "$(cat ${S}/kept)"`;
    await this.mustRun(script, undefined, 'git update-ref HEAD (back to the checkout and the checkpoint)');
  }

  /** The tree of the candidate the last check ran on; null before any check. */
  get provenTree(): string | null {
    return this.checked;
  }

  /**
   * The worktree's content as a tree object (tracked files as they are now, and the files created
   * since `before`), written through a scratch index so the checkpoint is left alone: comparing two
   * of them tells which files a fixer itself changed, apart from what the command's runs wrote.
   */
  async snapshot(before: Set<string>): Promise<string> {
    const added = await this.addedSince(before);
    await this.sandbox.writeFile(`${SCRATCH_DIR}/added`, added.join('\0'));
    const env = {
      GIT_INDEX_FILE: inWorkdir(this.sandbox, `${SCRATCH_DIR}/snapshot-index`),
      GIT_LITERAL_PATHSPECS: '1',
    };
    // A copy of the real index keeps its stat data, so only files that changed are read again.
    const script = [
      `cp "$(git rev-parse --git-dir)/index" "$GIT_INDEX_FILE"`,
      'git add --update',
      ...(added.length > 0 ? [`git add --pathspec-from-file=${S}/added --pathspec-file-nul`] : []),
      `git write-tree > ${S}/snapshot`,
    ].join(' && ');
    await this.mustRun(script, env, 'git write-tree (a snapshot of the worktree)');
    return (await this.sandbox.readFile(`${SCRATCH_DIR}/snapshot`)).toString('utf8').trim();
  }

  /** Paths that differ between two trees (or a tree and HEAD), relative to the root. */
  async changedBetween(from: string, to: string): Promise<string[]> {
    await this.mustRun(
      `git -c core.quotePath=false diff --no-renames --name-only -z ${treeish(from)} ${treeish(to)} > ${S}/changed`,
    );
    const text = (await this.sandbox.readFile(`${SCRATCH_DIR}/changed`)).toString('utf8');
    return text.split('\0').filter((name) => name.length > 0);
  }

  /** `tree` with the `drop` paths as they are at HEAD (absent when HEAD has none): a smaller candidate. */
  async treeWithout(tree: string, drop: readonly string[]): Promise<string> {
    if (drop.length === 0) return tree;
    await this.sandbox.writeFile(`${SCRATCH_DIR}/drop`, drop.join('\0'));
    const env = {
      GIT_INDEX_FILE: inWorkdir(this.sandbox, `${SCRATCH_DIR}/minimise-index`),
      GIT_LITERAL_PATHSPECS: '1',
    };
    const script = [
      `git read-tree ${treeish(tree)}`,
      `git reset --quiet HEAD --pathspec-from-file=${S}/drop --pathspec-file-nul`,
      `git write-tree > ${S}/smaller`,
    ].join(' && ');
    await this.mustRun(script, env, 'git write-tree (the candidate without the files it does not need)');
    return (await this.sandbox.readFile(`${SCRATCH_DIR}/smaller`)).toString('utf8').trim();
  }

  /**
   * Makes `tree` the checkpoint and the worktree (files created since `before` removed), so the
   * next check runs on exactly that candidate, whatever earlier runs wrote.
   */
  async useTree(tree: string, before: Set<string>): Promise<void> {
    await this.mustRun(`git read-tree --reset ${treeish(tree)}`);
    await this.restore(before);
  }

  /** useTree() of a tree that passed its check: the patch and the proof are made of it from now on. */
  async useProvenTree(tree: string, before: Set<string>): Promise<void> {
    await this.useTree(tree, before);
    this.checked = tree;
  }

  /** The unified diff from the checkout to `tree`, capped, with its size. */
  async diffOf(tree: string, maxBytes: number): Promise<CappedPatch> {
    const range = `HEAD ${treeish(tree)}`;
    await this.mustRun(`git -c core.quotePath=false diff --no-color --no-ext-diff --binary ${range} > ${S}/patch.diff`);
    return this.readPatch(range, maxBytes);
  }

  /**
   * The fix as a unified diff from the checkout, capped: of the candidate the last check ran on
   * (what a passing check proved, without what that run itself wrote), else of the tree as it is,
   * with the files created since \`before\`.
   */
  async patch(before: Set<string>, maxBytes: number): Promise<CappedPatch> {
    if (this.checked !== null) return this.diffOf(this.checked, maxBytes);
    await this.writeWorkingDiff(before);
    return this.readPatch('HEAD', maxBytes);
  }

  /** The same diff as patch(), as bytes, at most `maxBytes` of its head (what the proof applies). */
  async patchBytes(before: Set<string>, maxBytes: number): Promise<Buffer> {
    if (this.checked !== null) {
      await this.mustRun(
        `git -c core.quotePath=false diff --no-color --no-ext-diff --binary HEAD ${treeish(this.checked)} > ${S}/patch.diff`,
      );
    } else await this.writeWorkingDiff(before);
    return this.sandbox.readFile(`${SCRATCH_DIR}/patch.diff`, maxBytes);
  }

  /** The working tree's diff against HEAD, new files included, into the scratch patch.diff. */
  private async writeWorkingDiff(before: Set<string>): Promise<void> {
    const added = await this.addedSince(before);
    if (added.length > 0) {
      await this.sandbox.writeFile(`${SCRATCH_DIR}/added`, added.join('\0'));
      // Intent-to-add makes new files part of the diff without staging their content.
      await this.mustRun(`git add --intent-to-add --pathspec-from-file=${S}/added --pathspec-file-nul`, {
        GIT_LITERAL_PATHSPECS: '1',
      });
    }
    await this.mustRun(`git -c core.quotePath=false diff --no-color --no-ext-diff --binary HEAD > ${S}/patch.diff`);
  }

  private async readPatch(range: string, maxBytes: number): Promise<CappedPatch> {
    await this.mustRun(`git diff --no-ext-diff --shortstat ${range} > ${S}/patch.stat`);
    const stats = parseShortstat((await this.sandbox.readFile(`${SCRATCH_DIR}/patch.stat`)).toString('utf8'));
    // One byte past the cap is enough for capPatch to see that it must cut.
    return { ...capPatch(await this.sandbox.readFile(`${SCRATCH_DIR}/patch.diff`, maxBytes + 1), maxBytes), stats };
  }

  /**
   * `git status --ignored --porcelain` entries ("!! .seen", "?? out/"), folders collapsed, at most
   * STATUS_MAX: what a failed proof compares between the work sandbox and the fresh checkout.
   */
  async status(): Promise<string[]> {
    await this.mustRun(
      `git -c core.quotePath=false status --ignored --porcelain -z | head -z -n ${STATUS_MAX} > ${S}/status`,
    );
    const text = (await this.sandbox.readFile(`${SCRATCH_DIR}/status`)).toString('utf8');
    return text.split('\0').filter((entry) => entry.length > 3);
  }

  private async mustRun(command: string, env?: Record<string, string>, label?: string): Promise<void> {
    const result = await this.runner.run(command, {
      cwd: REPO_DIR,
      ...(env ? { env } : {}),
      ...(label ? { label } : {}),
    });
    if (result.exitCode !== 0) {
      throw new InfrastructureError('worktree_command_failed', `command failed in the checkout: ${command}`, {
        cause: new Error(result.output.slice(-2000)),
      });
    }
  }
}
