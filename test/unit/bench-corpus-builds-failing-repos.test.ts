// The bench:fix corpus cannot rot silently: every case builds a real repository and the corpus keeps
// the mix issue 9 asks for. That the commands fail (or pass) as their case says needs Go and Rust:
// test/integration/bench-corpus-commands-fail-for-their-reason.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS, buildCase, kindOf } from '../../scripts/bench/corpus/index.js';
import { git } from '../../scripts/lib/git-fixtures.js';
import { noisyFiles } from '../../scripts/bench/fix-report.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-bench-corpus-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('bench:fix corpus', () => {
  it('has 30+ uniquely named cases over four ecosystems, with every kind issue 9 asks for', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
    expect(new Set(CORPUS.map((c) => c.ecosystem))).toEqual(new Set(['javascript', 'go', 'python', 'rust']));
    const kinds = new Set(CORPUS.map(kindOf));
    for (const kind of ['one-fixer', 'two-fixers', 'needs-model', 'green', 'tool-missing'] as const)
      expect(kinds).toContain(kind);
    for (const c of CORPUS) {
      if (kindOf(c) === 'green') expect(c.expect.outcome, c.name).toBe('not_reproduced');
      if (c.needsModel || c.toolMissing) expect(c.expect.outcome, c.name).toBe('not_fixed');
      if (c.expect.outcome === 'fixed') expect(c.expect.fixers?.length, c.name).toBeGreaterThan(0);
    }
  });

  it('every builder makes a git repository holding exactly its files', async () => {
    // A case that resolves a lock file from the registry before its commit is built by its
    // integration test (fix-patches-hold-only-what-the-fix-needs), not here.
    for (const c of CORPUS.filter((c) => c.prepare === undefined)) {
      const repo = await buildCase(path.join(root, 'all'), c);
      const tracked = (await git(repo.dir, ['ls-files'])).split('\n').filter(Boolean).sort();
      expect(tracked, c.name).toEqual(Object.keys(c.files()).sort());
      expect(repo.command).toBe(c.command);
    }
  }, 60_000);

  it('counts a patch as noisy by the files beyond those the failure named, lock file companions aside', () => {
    const patch = ['src/a.ts', '.eslintrc.js', 'package-lock.json', 'go.sum']
      .map((f) => `diff --git a/${f} b/${f}\n`)
      .join('');
    expect(noisyFiles(patch, ['src/a.ts'])).toEqual(['.eslintrc.js']);
    expect(noisyFiles(patch, ['src/a.ts', '.eslintrc.js'])).toEqual([]);
    expect(noisyFiles(patch, [])).toBeNull(); // a silent check names nothing: not judged
    expect(noisyFiles('diff --git a/vendor/x/y.go b/vendor/x/y.go\n', ['go.mod'])).toEqual([]);
  });
});
