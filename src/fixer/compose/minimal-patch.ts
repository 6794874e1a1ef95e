// The patch a reviewer accepts: the proven fix without the files it does not need (minimise.ts),
// proven in this sandbox by running the whole command on each smaller candidate. The proof is a
// callback so that a run on a fresh checkout can take its place.
import type { FixerName } from '../../task.js';
import type { CappedPatch, Worktree } from '../worktree.js';
import type { FixFiles } from './files.js';
import { type CandidatePatch, minimisePatch } from './minimise.js';
import type { CommandRuns } from './runs.js';

export interface MinimalPatchOptions {
  worktree: Worktree;
  fixFiles: FixFiles;
  runs: CommandRuns;
  /** Files the diagnoses of the rounds named. */
  named: ReadonlySet<string>;
  /** The fixers whose changes were kept. */
  fixers: readonly FixerName[];
  maxBytes: number;
  /** Whether one more whole-command run fits in the task's time budget. */
  affordable?: () => boolean;
  log(text: string): void;
  /** The proof of a candidate; by default the whole command on it, committed, in this sandbox. */
  verify?: (candidate: CandidatePatch) => Promise<boolean>;
}

/**
 * The proven fix's patch, minimised when the tools alone made it. The model's edits and a tree
 * check's generated output are the fix as a whole, and are left as proven.
 */
export async function minimalPatch(o: MinimalPatchOptions): Promise<CappedPatch & { dropped: string[] }> {
  const { worktree, fixFiles } = o;
  const proven = worktree.provenTree;
  if (proven === null || o.fixers.includes('model') || o.fixers.includes('generated'))
    return { ...(await worktree.patch(fixFiles.before, o.maxBytes)), dropped: [] };
  const candidate = async (tree: string): Promise<CandidatePatch> => {
    const { patch, truncated } = await worktree.diffOf(tree, o.maxBytes);
    return { tree, files: await worktree.changedBetween('HEAD', tree), patch, truncated };
  };
  const verify =
    o.verify ??
    (async (c: CandidatePatch) => {
      await worktree.useTree(c.tree, fixFiles.before);
      return (await fixFiles.check(() => o.runs.whole())) === null;
    });
  const result = await minimisePatch({
    proven: await candidate(proven),
    needed: new Set([...o.named, ...fixFiles.touched]),
    without: async (drop) => candidate(await worktree.treeWithout(proven, drop)),
    verify,
    ...(o.affordable ? { affordable: o.affordable } : {}),
    log: o.log,
  });
  // The checkout is left holding the patch it reports, and that tree is the proven candidate the
  // final proof and the patch are made of (the last check may have been a smaller one that failed).
  if (result.runs > 0) await worktree.useProvenTree(result.candidate.tree, fixFiles.before);
  return { ...(await worktree.diffOf(result.candidate.tree, o.maxBytes)), dropped: result.dropped };
}
