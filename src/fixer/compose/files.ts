// Which files belong to a fix, and how a candidate fix is checked. Files that are untracked once
// the failure reproduced (`before`) are the setup's and the command's outputs, not the fix; so
// are files a check run creates after a fixer ran (a binary `go build` writes once it builds). A
// fixer may claim files the command created (generated sources a tree check wants committed):
// they are part of the fix from then on, unless it is reverted.
import type { FixerOutcome } from '../types.js';
import type { Worktree } from '../worktree.js';

export class FixFiles {
  private afterFix = new Set<string>();
  private readonly claimed = new Set<string>();
  /** The worktree before the running fixer (a tree id), to tell its own changes from the command's. */
  private beforeFixer: string | null = null;
  private pendingTouched: string[] = [];
  /** Files the kept fixers changed themselves (not the command's runs after them): the fix needs them. */
  readonly touched = new Set<string>();

  /**
   * @param before untracked files once the failure reproduced (kept up to date here).
   * @param pristine untracked files before the command first ran; null when not looked up.
   * @param tracking false when no fixer will run: nothing to tell apart then.
   */
  constructor(
    private readonly worktree: Worktree,
    readonly before: Set<string>,
    private readonly pristine: Set<string> | null,
    private readonly tracking: boolean,
  ) {}

  /** Untracked files the command's runs created (absent before its first run). */
  async createdByCommand(): Promise<string[]> {
    const pristine = this.pristine;
    if (pristine === null) return [];
    return [...(await this.worktree.untracked())].filter((name) => !pristine.has(name));
  }

  /** Before a fixer runs: what the worktree holds, to see afterwards what the fixer itself changed. */
  async applying(): Promise<void> {
    this.pendingTouched = [];
    this.beforeFixer = this.tracking ? await this.worktree.snapshot(this.before) : null;
  }

  /** After a fixer ran: what it created is its own, and the files it claims join the fix. */
  async applied(outcome: FixerOutcome): Promise<void> {
    if (outcome.status === 'applied') {
      for (const name of outcome.include ?? []) {
        if (this.before.delete(name)) this.claimed.add(name);
      }
      if (this.beforeFixer !== null)
        this.pendingTouched = [
          ...(await this.worktree.changedBetween(this.beforeFixer, await this.worktree.snapshot(this.before))),
          ...this.claimed,
        ];
    }
    this.beforeFixer = null;
    this.afterFix = await this.worktree.untracked();
  }

  /**
   * Runs a check of the candidate as CI would (committed). After a fixer, files the run creates
   * are outputs (`outputs`); the model's checks leave that to the model's own edits.
   */
  async check<T>(run: () => Promise<T>, outputs = true): Promise<T> {
    const result = await this.worktree.onCandidate(this.before, run);
    if (this.tracking && outputs)
      for (const name of await this.worktree.untracked()) if (!this.afterFix.has(name)) this.before.add(name);
    return result;
  }

  keep(): Promise<void> {
    for (const name of this.pendingTouched) this.touched.add(name);
    this.pendingTouched = [];
    this.claimed.clear();
    return this.worktree.checkpoint(this.before);
  }

  /** Undoes the last fixer; the files it claimed are the command's outputs again, and stay. */
  revert(): Promise<void> {
    this.pendingTouched = [];
    for (const name of this.claimed) this.before.add(name);
    this.claimed.clear();
    return this.worktree.restore(this.before);
  }
}
