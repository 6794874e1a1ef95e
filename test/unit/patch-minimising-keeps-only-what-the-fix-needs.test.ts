// The minimising pass drops files the fix does not need, all at once or one group at a time,
// and keeps a drop only when the proof still passes on the smaller candidate.
import { describe, expect, it } from 'vitest';
import { type CandidatePatch, dropGroups, MAX_GROUPS, minimisePatch } from '../../src/fixer/compose/minimise.js';
import { parseShortstat } from '../../src/fixer/patch.js';

/** Candidates as file sets; `passes` decides which sets the proof accepts. */
function world(files: string[], passes: (files: readonly string[]) => boolean) {
  const verified: string[][] = [];
  const candidate = (set: readonly string[]): CandidatePatch => ({
    tree: set.join(','),
    files: set,
    patch: set.map((f) => `diff --git a/${f} b/${f}\n`).join(''),
    truncated: false,
  });
  return {
    verified,
    deps: {
      proven: candidate(files),
      without: async (drop: readonly string[]) => candidate(files.filter((f) => !drop.includes(f))),
      verify: async (c: CandidatePatch) => {
        verified.push([...c.files]);
        return passes(c.files);
      },
      log: () => {},
    },
  };
}

describe('minimising the patch', () => {
  it('drops everything unneeded in one proof run when the command passes without it', async () => {
    const w = world(['src/a.ts', 'package-lock.json', 'jest.config.js'], (f) => f.includes('src/a.ts'));
    const result = await minimisePatch({ ...w.deps, needed: new Set(['src/a.ts']) });
    expect(result.candidate.files).toEqual(['src/a.ts']);
    expect(result.dropped).toEqual(['package-lock.json', 'jest.config.js']);
    expect(w.verified).toEqual([['src/a.ts']]);
  });

  it('keeps a group the command needs and drops the others, one group at a time', async () => {
    const w = world(
      ['main.go', 'gen/x.go', 'docs/a.md', 'go.sum'],
      (f) => f.includes('main.go') && f.includes('gen/x.go'),
    );
    const result = await minimisePatch({ ...w.deps, needed: new Set(['main.go']) });
    expect(result.candidate.files).toEqual(['main.go', 'gen/x.go']);
    expect(result.dropped.sort()).toEqual(['docs/a.md', 'go.sum']);
    expect(result.runs).toBe(4); // all at once, then gen/, docs/, go.sum
  });

  it('keeps the proven patch when the task has no time left for a proof run', async () => {
    const w = world(['src/a.ts', 'package-lock.json'], () => true);
    const result = await minimisePatch({ ...w.deps, needed: new Set(['src/a.ts']), affordable: () => false });
    expect(result).toMatchObject({ dropped: [], runs: 0 });
    expect(result.candidate.files).toEqual(['src/a.ts', 'package-lock.json']);
    expect(w.verified).toEqual([]);
  });

  it('spends no run when every file is needed', async () => {
    const w = world(['a.py'], () => true);
    const result = await minimisePatch({ ...w.deps, needed: new Set(['a.py']) });
    expect(result).toMatchObject({ dropped: [], runs: 0 });
    expect(w.verified).toEqual([]);
  });

  it('groups lock files alone and the rest by folder, bounded', () => {
    expect(dropGroups(['package-lock.json', 'a/x.js', 'a/y.js', 'b/z.js'])).toEqual([
      ['package-lock.json'],
      ['a/x.js', 'a/y.js'],
      ['b/z.js'],
    ]);
    const many = Array.from({ length: 20 }, (_, i) => `d${i}/sub${i}/f.js`);
    expect(dropGroups(many)).toHaveLength(MAX_GROUPS);
    expect(dropGroups(many).flat().sort()).toEqual([...many].sort());
  });

  it('reads the patch size from git diff --shortstat', () => {
    expect(parseShortstat(' 2 files changed, 5 insertions(+), 1 deletion(-)\n')).toEqual({
      files: 2,
      added: 5,
      removed: 1,
    });
    expect(parseShortstat(' 1 file changed, 1 insertion(+)\n')).toEqual({ files: 1, added: 1, removed: 0 });
    expect(parseShortstat('')).toEqual({ files: 0, added: 0, removed: 0 });
  });
});
