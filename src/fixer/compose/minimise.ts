// The minimising pass: after the rounds, the proven fix may hold files no fixer was asked to
// touch and no diagnosis names (a lockfile the command's own `npm i` rewrote, a file a build
// regenerated). Those are dropped, all at once first and else one group at a time, and a drop is
// kept only when the candidate without them still passes `verify`. `verify` takes the candidate
// patch, so the proof can be today's whole-command run in this sandbox or a run on a fresh checkout.

/** One candidate fix: its tree in the checkout, the files it changes and its patch. */
export interface CandidatePatch {
  tree: string;
  files: readonly string[];
  patch: string;
  /** The patch text was cut at the size limit (the tree is whole). */
  truncated: boolean;
}

export interface MinimiseDeps {
  /** The proven fix. */
  proven: CandidatePatch;
  /** Files the fix needs: named by a diagnosis, changed by a kept fixer itself. */
  needed: ReadonlySet<string>;
  /** The proven fix without these files. */
  without(drop: readonly string[]): Promise<CandidatePatch>;
  /** Whether the whole command passes with this candidate. */
  verify(candidate: CandidatePatch): Promise<boolean>;
  /** Whether the task has time left for one more proof run; a proven fix is never lost to its budget. */
  affordable?: () => boolean;
  log(text: string): void;
}

export interface Minimised {
  candidate: CandidatePatch;
  dropped: string[];
  /** Proof runs spent. */
  runs: number;
}

/** At most this many groups are tried one by one (a proof run each); the rest go together. */
export const MAX_GROUPS = 6;
const LOCKFILE =
  /(?:^|\/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|Cargo\.lock|go\.sum|poetry\.lock|uv\.lock|Pipfile\.lock|pdm\.lock|Gemfile\.lock|composer\.lock)$/;

/**
 * Pure: the files to try dropping, grouped so one proof run decides a group: lock files on their
 * own, other files by folder; past MAX_GROUPS, by top-level folder, then the rest as one group.
 */
export function dropGroups(files: readonly string[]): string[][] {
  const byKey = (key: (file: string) => string): string[][] => {
    const groups = new Map<string, string[]>();
    for (const file of files) {
      const k = key(file);
      groups.set(k, [...(groups.get(k) ?? []), file]);
    }
    return [...groups.values()];
  };
  const dir = (file: string) => (file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.');
  const top = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '.');
  let groups = byKey((f) => (LOCKFILE.test(f) ? `lock:${f}` : `dir:${dir(f)}`));
  if (groups.length > MAX_GROUPS) groups = byKey((f) => (LOCKFILE.test(f) ? 'lock' : `top:${top(f)}`));
  if (groups.length > MAX_GROUPS) groups = [...groups.slice(0, MAX_GROUPS - 1), groups.slice(MAX_GROUPS - 1).flat()];
  return groups;
}

export async function minimisePatch(deps: MinimiseDeps): Promise<Minimised> {
  const unneeded = deps.proven.files.filter((file) => !deps.needed.has(file));
  if (unneeded.length === 0) return { candidate: deps.proven, dropped: [], runs: 0 };
  const afford = (): boolean => {
    if (deps.affordable?.() ?? true) return true;
    deps.log('not minimising the patch further: the task has too little time left for another run');
    return false;
  };
  if (!afford()) return { candidate: deps.proven, dropped: [], runs: 0 };
  deps.log(`minimising the patch: trying without ${unneeded.length} file(s) no fixer changed and no diagnosis named`);
  let runs = 1;
  const all = await deps.without(unneeded);
  if (await deps.verify(all)) {
    deps.log(`dropped from the patch: ${unneeded.join(', ')}`);
    return { candidate: all, dropped: unneeded, runs };
  }
  const groups = dropGroups(unneeded);
  let best = deps.proven;
  const dropped: string[] = [];
  // One group alone is what the first run tried.
  if (groups.length > 1) {
    for (const group of groups) {
      if (!afford()) break;
      const trial = await deps.without([...dropped, ...group]);
      runs++;
      if (await deps.verify(trial)) {
        dropped.push(...group);
        best = trial;
        deps.log(`dropped from the patch: ${group.join(', ')}`);
      } else {
        deps.log(`kept in the patch (the command fails without it): ${group.join(', ')}`);
      }
    }
  }
  if (dropped.length === 0) deps.log('the patch keeps every file: the command fails without them');
  return { candidate: best, dropped, runs };
}
