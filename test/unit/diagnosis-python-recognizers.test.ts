// The python recognizers on output captured from the real tools (black 23, isort 5, pytest 7,
// mypy 1.0, poetry 1.3 from Debian's packages) and, for ruff and uv, on their documented output:
// neither tool installs on these machines (not in Debian's archive, not on the npm registry).
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import { capturedOutput, diagnoseCaptured } from '../support/captured-outputs.js';

describe('python recognizers on captured output', () => {
  it('pytest: the failing test file and line, the assertion and the summary', () => {
    const d = diagnoseCaptured('pytest', 'pytest-failing');
    expect(d.source).toBe('captured');
    expect(d).toMatchObject({ tool: 'pytest', category: 'test' });
    expect(d.locations[0]).toEqual({ path: 'tests/test_calc.py', line: 5, column: null });
    expect(d.excerpt).toContain('FAILED tests/test_calc.py::test_add - assert -1 == 3');
    expect(d.excerpt).toContain('E       assert -1 == 3');
    expect(d.excerpt.at(-1)).toMatch(/^=+ 1 failed, 1 passed in [\d.]+s =+$/);
    expect(d.summary).toBe('pytest failed in tests/test_calc.py:5 (test)');
  });

  it('pytest -q: the closing line without its rule', () => {
    const d = diagnoseCaptured('pytest', 'pytest-quiet');
    expect(d).toMatchObject({ tool: 'pytest', category: 'test', locations: [{ path: 'tests/test_calc.py', line: 5 }] });
    expect(d.excerpt.at(-1)).toMatch(/^1 failed in [\d.]+s$/);
  });

  it('a cargo test result line is not a pytest closing line', () => {
    expect(diagnoseCaptured('cargo-test', 'cargo-test-failing').tool).toBe('cargo-test');
  });

  it('mypy: a type failure at file:line with its error', () => {
    const d = diagnoseCaptured('mypy', 'mypy');
    expect(d).toMatchObject({
      tool: 'mypy',
      category: 'type',
      locations: [{ path: 'app/typed.py', line: 2, column: null }],
    });
    expect(d.excerpt[0]).toContain('app/typed.py:2: error: Incompatible return value type');
    expect(d.excerpt).toContain('Found 1 error in 1 file (checked 1 source file)');
  });

  it('black: the files it would reformat', () => {
    const d = diagnoseCaptured('black', 'black');
    expect(d).toMatchObject({
      tool: 'black',
      category: 'format',
      locations: [{ path: '/sandbox/repo/app/greet.py', line: null }],
    });
    expect(d.excerpt).toEqual([
      'would reformat /sandbox/repo/app/greet.py',
      '1 file would be reformatted, 1 file would be left unchanged.',
    ]);
  });

  it('black: a file it cannot parse is named with its line', () => {
    const d = diagnose({
      command: 'black --check .',
      exitCode: 123,
      output:
        'error: cannot format app/bad.py: Cannot parse: 3:7: def f(:\n\nOh no! 💥 💔 💥\n1 file failed to reformat.\n',
    });
    expect(d).toMatchObject({
      tool: 'black',
      category: 'format',
      locations: [{ path: 'app/bad.py', line: 3, column: 7 }],
    });
  });

  it('isort: the files whose imports are unsorted', () => {
    const d = diagnoseCaptured('isort', 'isort');
    expect(d).toMatchObject({ tool: 'isort', category: 'format', locations: [{ path: '/sandbox/repo/app/paths.py' }] });
    expect(d.excerpt).toEqual(['ERROR: /sandbox/repo/app/paths.py Imports are incorrectly sorted and/or formatted.']);
  });

  it('poetry: a lock file out of step with pyproject.toml is a dependency failure', () => {
    const d = diagnoseCaptured('poetry', 'poetry-lock');
    expect(d).toMatchObject({
      tool: 'poetry',
      category: 'dependency',
      locations: [{ path: 'poetry.lock' }, { path: 'pyproject.toml' }],
    });
    expect(d.excerpt).toEqual([
      'Error: poetry.lock is not consistent with pyproject.toml. Run `poetry lock [--no-update]` to fix it.',
    ]);
  });

  it('poetry 1.8+/2.x wording is recognised too', () => {
    const d = diagnose({
      command: 'poetry check --lock',
      exitCode: 1,
      output:
        'Error: pyproject.toml changed significantly since poetry.lock was last generated. Run `poetry lock` to fix the lock file.\n',
    });
    expect(d).toMatchObject({ tool: 'poetry', category: 'dependency' });
  });
});

describe('ruff and uv on documented output (neither installs here)', () => {
  it('ruff check, concise format: every rule violation with file:line:col', () => {
    const out = capturedOutput('ruff', 'check-concise');
    expect(out.source).toMatch(/^documented/);
    const d = diagnoseCaptured('ruff', 'check-concise');
    expect(d).toMatchObject({ tool: 'ruff', category: 'lint' });
    expect(d.locations).toEqual([
      { path: 'app/util.py', line: 1, column: 8 },
      { path: 'app/util.py', line: 5, column: 5 },
      { path: 'app/main.py', line: 3, column: 1 },
    ]);
    expect(d.excerpt).toContain('Found 3 errors.');
    expect(d.excerpt.at(-1)).toBe('[*] 2 fixable with the `--fix` option.');
  });

  it('ruff check, 0.12+ full format: the rule line and its arrow', () => {
    const d = diagnoseCaptured('ruff', 'check-full');
    expect(d).toMatchObject({ tool: 'ruff', category: 'lint' });
    expect(d.locations).toEqual([
      { path: 'app/util.py', line: 1, column: 8 },
      { path: 'app/util.py', line: 7, column: 13 },
    ]);
    expect(d.excerpt.slice(0, 2)).toEqual(['F401 [*] `os` imported but unused', ' --> app/util.py:1:8']);
  });

  it('ruff format --check: a format failure naming the files', () => {
    const d = diagnoseCaptured('ruff', 'format-check');
    expect(d).toMatchObject({
      tool: 'ruff',
      category: 'format',
      locations: [{ path: 'app/main.py' }, { path: 'app/util.py' }],
    });
  });

  it('uv --locked: a dependency failure on uv.lock', () => {
    const d = diagnoseCaptured('uv', 'lock-locked');
    expect(d.source).toMatch(/^documented/);
    expect(d).toMatchObject({
      tool: 'uv',
      category: 'dependency',
      locations: [{ path: 'uv.lock' }, { path: 'pyproject.toml' }],
    });
    expect(d.excerpt[0]).toContain('needs to be updated, but `--locked` was provided');
  });
});

describe('python recognizers stay out of the way', () => {
  it('a rust arrow line is not a ruff violation, and a mypy error is not a pytest failure', () => {
    expect(diagnoseCaptured('cargo-build', 'cargo-build-type-error').tool).toBe('cargo-build');
    expect(diagnoseCaptured('mypy', 'mypy').tool).toBe('mypy');
  });

  it('flake8 and pylint lines are not ruff violations', () => {
    expect(
      diagnose({ command: 'flake8 app', exitCode: 1, output: "app/util.py:1:1: F401 'os' imported but unused\n" }).tool,
    ).toBe('unknown');
    expect(
      diagnose({
        command: 'pylint app',
        exitCode: 16,
        output: 'app/util.py:1:0: C0114: Missing module docstring (missing-module-docstring)\n',
      }).tool,
    ).toBe('unknown');
  });

  it('pytest with Windows line ends and colour codes', () => {
    const raw = capturedOutput('pytest', 'pytest-failing').output;
    const noisy = raw.replace(/^FAILED/m, '\u001b[31mFAILED\u001b[0m').replace(/\n/g, '\r\n');
    expect(diagnose({ command: 'pytest', exitCode: 1, output: noisy })).toMatchObject({
      tool: 'pytest',
      locations: [{ path: 'tests/test_calc.py', line: 5 }],
    });
  });
});
