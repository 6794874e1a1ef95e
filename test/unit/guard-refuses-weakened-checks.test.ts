// The guard judges a change by its diff: what a fix may never touch, and what a formatter may.
import { describe, expect, it } from 'vitest';
import {
  globMatch,
  judgeChange,
  judgePatch,
  parseUnifiedDiff,
  type FileChange,
  type GuardContext,
} from '../../src/fixer/guard/index.js';
import { applyFileDiff } from '../../src/fixer/guard/diff.js';
import { changedLines } from '../../src/fixer/guard/content.js';

const MODEL: GuardContext = { command: 'npm test', testFiles: new Set(), model: true, protectTests: true };
const TOOL: GuardContext = { ...MODEL, model: false, protectTests: false };

function edit(path: string, before: string, after: string): FileChange {
  return { path, status: 'modified', ...changedLines(before, after), before, after };
}
const rules = (change: FileChange, ctx: GuardContext) => judgeChange(change, ctx).map((r) => r.rule);

const PKG = (test: string) =>
  `${JSON.stringify({ name: 'x', scripts: { test, build: 'tsc' }, dependencies: { a: '1' } }, null, 2)}\n`;

describe('the guard', () => {
  it('refuses a weakened script the command reaches, and allows other package.json changes', () => {
    expect(rules(edit('package.json', PKG('node --test'), PKG('node --test || true')), MODEL)).toEqual([
      'package-scripts',
    ]);
    const dep = PKG('node --test').replace('"a": "1"', '"a": "2"');
    expect(rules(edit('package.json', PKG('node --test'), dep), MODEL)).toEqual([]);
    // `npm run check` reaches `lint`, and `prelint` runs before it.
    const pkg = (lint: string) =>
      JSON.stringify({ scripts: { check: 'npm run lint', lint, prelint: 'echo' } }, null, 2);
    expect(
      rules(edit('package.json', pkg('eslint .'), pkg('eslint . --quiet')), { ...MODEL, command: 'npm run check' }),
    ).toEqual(['package-scripts']);
    // A script the command never runs may change.
    expect(
      rules(edit('package.json', pkg('eslint .'), pkg('eslint src')), { ...MODEL, command: 'node --test' }),
    ).toEqual([]);
  });

  it('refuses added skips, .only, suppressions and deleted tests in any file, by any fixer', () => {
    const src = 'describe("sum", () => {\n  it("adds", () => {});\n});\n';
    expect(rules(edit('lib/sum.js', src, src.replace('it("adds"', 'it.skip("adds"')), TOOL)).toContain('test-skip');
    expect(rules(edit('lib/sum.js', src, src.replace('it("adds"', 'it.only("adds"')), TOOL)).toContain('test-skip');
    expect(rules(edit('lib/sum.js', src, src.replace('it("adds"', 'xit("adds"')), TOOL)).toContain('test-skip');
    expect(
      rules(edit('t.py', 'def test_x():\n  pass\n', '@pytest.mark.skip\ndef test_x():\n  pass\n'), TOOL),
    ).toContain('test-skip');
    expect(
      rules(
        edit('x_test.go', 'func TestX(t *testing.T) {\n}\n', 'func TestX(t *testing.T) {\n\tt.Skip("later")\n}\n'),
        TOOL,
      ),
    ).toContain('test-skip');
    expect(rules(edit('src/lib.rs', 'fn a() {}\n', 'fn a() {}\n#[ignore]\n'), TOOL)).toContain('test-skip');
    expect(rules(edit('a.js', 'var x = 1;\n', '// eslint-disable-next-line\nvar x = 1;\n'), TOOL)).toEqual([
      'suppression',
    ]);
    for (const marker of [
      '// @ts-ignore',
      '// @ts-expect-error',
      'x = 1  # noqa',
      'x = f()  # type: ignore',
      '#[allow(dead_code)]',
      'x := 1 //nolint',
    ]) {
      expect(rules(edit('f', 'a\n', `a\n${marker}\n`), TOOL)).toContain('suppression');
    }
    expect(rules(edit('lib/sum.js', src, 'describe("sum", () => {\n});\n'), TOOL)).toContain('test-deleted');
    // A suppression that was already there and only moved is not added.
    expect(
      rules(
        edit('a.js', '// eslint-disable-next-line\nvar x  = 1;\n', '// eslint-disable-next-line\nvar x = 1;\n'),
        TOOL,
      ),
    ).toEqual([]);
  });

  it("refuses edits to a Rust file's #[cfg(test)] module, but not to its code or its formatting", () => {
    const before =
      'pub fn add(a: i32, b: i32) -> i32 { a - b }\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() { assert_eq!(super::add(1, 2), 3); }\n}\n';
    const ignored = before.replace('    #[test]\n', '    #[test]\n    #[ignore]\n');
    expect(rules(edit('src/lib.rs', before, ignored), MODEL)).toEqual(
      expect.arrayContaining(['test-skip', 'inline-tests']),
    );
    expect(rules(edit('src/lib.rs', before, before.replace('a - b', 'a + b')), MODEL)).toEqual([]);
    expect(
      rules(edit('src/lib.rs', before, before.replace('fn adds() { assert', 'fn adds() {\n        assert')), TOOL),
    ).toEqual([]);
  });

  it("refuses the checking tools' configuration, whole files and sections of shared ones", () => {
    expect(
      rules(edit('eslint.config.js', 'rules: { "no-var": "error" }\n', 'rules: { "no-var": "off" }\n'), TOOL),
    ).toEqual(['check-config']);
    expect(
      rules(edit('.eslintrc.json', '{"rules": {"no-var": "error"}}\n', '{"rules": {"no-var": "off"}}\n'), MODEL),
    ).toEqual(['check-config']);
    const py = '[project]\nname = "x"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n';
    expect(
      rules(
        edit(
          'pyproject.toml',
          py,
          py.replace('testpaths = ["tests"]', 'testpaths = ["tests"]\naddopts = -k "not test_x"'),
        ),
        MODEL,
      ),
    ).toEqual(['python-tool-config']);
    expect(
      rules(edit('pyproject.toml', py, py.replace('name = "x"', 'name = "x"\ndependencies = ["y"]')), MODEL),
    ).toEqual([]);
    expect(
      rules(edit('setup.cfg', '[tool:pytest]\naddopts = -q\n', '[tool:pytest]\naddopts = -q -k "not slow"\n'), MODEL),
    ).toEqual(['python-tool-config']);
    expect(rules(edit('pytest.ini', '[pytest]\n', '[pytest]\naddopts = -k "not test_x"\n'), MODEL)).toEqual([
      'check-config',
    ]);
    const cargo = '[package]\nname = "x"\n\n[lints.rust]\nunused = "deny"\n';
    expect(rules(edit('Cargo.toml', cargo, cargo.replace('deny', 'allow')), MODEL)).toEqual(['cargo-tool-config']);
    expect(rules(edit('tsconfig.json', '{\n  "strict": true\n}\n', '{\n  "strict": false\n}\n'), MODEL)).toEqual([
      'tsconfig',
    ]);
    expect(rules(edit('tsconfig.json', '{\n  "outDir": "a"\n}\n', '{\n  "outDir": "b"\n}\n'), MODEL)).toEqual([]);
  });

  it('refuses what the command runs: Makefile targets and the shell scripts it names; CI config always', () => {
    expect(rules(edit('Makefile', 'test:\n\tnode --test\n', 'test:\n\t-node --test\n'), MODEL)).toEqual([
      'task-runner',
    ]);
    expect(
      rules(edit('ci/check.sh', 'set -e\nnode --test\n', 'node --test || true\n'), {
        ...MODEL,
        command: './ci/check.sh',
      }),
    ).toEqual(['command-script']);
    expect(rules(edit('.github/workflows/ci.yml', 'a\n', 'b\n'), TOOL)).toEqual(['ci-config']);
  });

  it('lets a deterministic formatter reformat protected files, but never the model; tests only on a test failure', () => {
    const before = 'test:\n\tnode  --test\n';
    expect(rules(edit('Makefile', before, 'test:\n\tnode --test\n'), TOOL)).toEqual([]);
    expect(rules(edit('Makefile', before, 'test:\n\tnode --test\n'), MODEL)).toEqual(['task-runner']);
    const spec = "it('adds', () => { expect(1).toBe(1) })\n";
    const formatted = 'it("adds", () => {\n  expect(1).toBe(1);\n});\n';
    expect(rules(edit('test/sum.test.js', spec, formatted), TOOL)).toEqual([]);
    expect(rules(edit('test/sum.test.js', spec, formatted), MODEL)).toEqual(['test-file']);
    expect(
      rules(edit('test/sum.test.js', 'var x = 1;\n', 'const x = 1;\n'), { ...MODEL, protectTests: false }),
    ).toEqual([]);
  });

  it("lets the generated fixer keep a generator's own suppressions, never a skip, and never for the model", () => {
    const out = '/* eslint-disable */\n// Code generated by gen.js. DO NOT EDIT.\nexport const a = 1;\n';
    const added: FileChange = { path: 'src/gen/api.ts', status: 'added', added: out.split('\n'), deleted: [] };
    expect(rules(added, { ...TOOL, generated: true })).toEqual([]);
    expect(rules(added, TOOL)).toEqual(['suppression']);
    expect(rules(added, { ...MODEL, generated: true })).toEqual(['suppression']);
    const skip: FileChange = { ...added, added: ['// @generated', "it.skip('x', () => {});"] };
    expect(rules(skip, { ...TOOL, generated: true })).toEqual(['test-skip']);
  });

  it("applies a repository's named exceptions, never to .git or .ci-fixer.yml", () => {
    const allow = [{ path: 'scripts/**', rule: 'command-script' as const }, { path: '.ci-fixer.yml' }];
    const ctx = { ...MODEL, command: './scripts/gen.sh', allow };
    expect(rules(edit('scripts/gen.sh', 'a\n', 'b\n'), ctx)).toEqual([]);
    expect(rules(edit('.ci-fixer.yml', 'a\n', 'b\n'), ctx)).toEqual(['ci-fixer-config']);
    expect(globMatch('src/**/*.test.js', 'src/a/b/c.test.js')).toBe(true);
    expect(globMatch('src/*.js', 'src/a/b.js')).toBe(false);
  });

  it('reads a whole patch: added, deleted, renamed files, rebuilding package.json from its hunks', () => {
    const before = PKG('node --test');
    const patch = [
      'diff --git a/package.json b/package.json',
      'index 1..2 100644',
      '--- a/package.json',
      '+++ b/package.json',
      '@@ -2,6 +2,6 @@',
      '   "name": "x",',
      '   "scripts": {',
      '-    "test": "node --test",',
      '+    "test": "node --test || true",',
      '     "build": "tsc"',
      '   },',
      '   "dependencies": {',
      'diff --git a/test/a.test.js b/test/a.test.js',
      'deleted file mode 100644',
      '--- a/test/a.test.js',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      "-it('a', () => {});",
      'diff --git a/src/x.js b/src/y.js',
      'similarity index 100%',
      'rename from src/x.js',
      'rename to src/y.js',
      '',
    ].join('\n');
    const files = parseUnifiedDiff(patch);
    expect(files.map((f) => [f.path, f.status])).toEqual([
      ['package.json', 'modified'],
      ['test/a.test.js', 'deleted'],
      ['src/y.js', 'renamed'],
    ]);
    const [pkg] = files;
    expect(pkg && applyFileDiff(before, pkg)).toBe(PKG('node --test || true'));
    const refused = judgePatch(files, new Map([['package.json', before]]), TOOL);
    expect(refused.map((r) => [r.path, r.rule])).toEqual([
      ['package.json', 'package-scripts'],
      ['test/a.test.js', 'test-deleted'],
    ]);
  });
});
