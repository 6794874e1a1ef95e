// The bench:fix corpus cannot rot silently: every case builds a real repository, the corpus keeps
// the mix issue 9 asks for, and a handful of commands fail (or pass) as their case says.
import { execFile } from 'node:child_process';
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

function run(command: string, cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, npm_config_yes: 'true', npm_config_update_notifier: 'false' };
    execFile('sh', ['-c', `(${command}) 2>&1`], { cwd, env, timeout: 60_000 }, (err, stdout) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, output: stdout }),
    );
  });
}

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

  // What each command prints when it fails (or passes) for the case's own reason.
  it.each([
    ['gofmt', /^$/], // the `test -z "$(gofmt -l .)"` idiom prints nothing
    ['go-passing', /^ok\s+example\.com\/demo\/pkg\/calc/m],
    ['js-node-test-logic-bug', /^ℹ fail 1$/m],
    ['js-npm-lockfile', /can only install packages when your package\.json and package-lock\.json/],
    ['rs-cargo-fmt', /^Diff in .*src\/lib\.rs/m],
    ['rs-cargo-fmt-diff-quiet', /^$/], // cargo fmt rewrites quietly, and `git diff --quiet` prints nothing
  ])(
    'case %s: its command fails, or passes when the case is green',
    async (name, printed) => {
      const c = CORPUS.find((candidate) => candidate.name === name);
      expect(c, name).toBeDefined();
      const repo = await buildCase(path.join(root, 'run'), c!);
      const { code, output } = await run(c!.command, repo.dir);
      if (kindOf(c!) === 'green') expect(code, output).toBe(0);
      else expect(code, output).not.toBe(0);
      expect(output).toMatch(printed);
    },
    60_000,
  );

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
