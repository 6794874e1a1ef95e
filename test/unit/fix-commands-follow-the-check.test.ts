// The fix command is the check's own invocation in writing mode: its launcher, flags and paths.
import { describe, expect, it } from 'vitest';
import { invocations, withoutFlags } from '../../src/fixer/fixers/invocation.js';
import { clangFormatArgs, shfmtArgs } from '../../src/fixer/fixers/other/formatters.js';
import { poetryMajor } from '../../src/fixer/fixers/python/lockfiles.js';
import { fmtArgs } from '../../src/fixer/fixers/rust/cargo-fmt.js';

describe('reading a tool invocation out of the command', () => {
  it('finds each run of the tool, its arguments up to the next shell operator', () => {
    expect(invocations('pip install black && black --check src tests; echo done', /black/)).toEqual([
      { launcher: '', program: 'black', args: ['--check', 'src', 'tests'] },
    ]);
    expect(invocations('set -e\nisort --check-only --diff .\nblack --check .', /isort/)[0]!.args).toEqual([
      '--check-only',
      '--diff',
      '.',
    ]);
  });

  it('keeps launchers that pick the repository environment, and paths to the tool', () => {
    expect(invocations('poetry run black --check .', /black/)).toEqual([
      { launcher: 'poetry run ', program: 'black', args: ['--check', '.'] },
    ]);
    expect(invocations('uv run --frozen ruff check src', /ruff\s+check/)).toEqual([
      { launcher: 'uv run --frozen ', program: 'ruff check', args: ['src'] },
    ]);
    expect(invocations('python3 -m isort -c .', /isort/)[0]).toMatchObject({
      launcher: 'python3 -m ',
      program: 'isort',
    });
    expect(invocations('.venv/bin/black --check .', /black/)[0]).toMatchObject({
      launcher: '',
      program: '.venv/bin/black',
    });
  });

  it('keeps quoted words, globs and command substitutions whole, and stops at redirections', () => {
    expect(
      invocations(
        `clang-format --dry-run -Werror $(git ls-files '*.c') "src/my file.c" 2>&1 | tee log`,
        /clang-format/,
      )[0]!.args,
    ).toEqual(['--dry-run', '-Werror', "$(git ls-files '*.c')", '"src/my file.c"']);
  });

  it('ignores the name as an argument or part of another word', () => {
    expect(invocations('pip install black isort', /black/)).toEqual([]);
    expect(invocations('./run-black.sh', /black/)).toEqual([]);
  });

  it('drops check-only flags, with their values where they take one', () => {
    expect(
      withoutFlags(
        ['--check', '--output-format', 'github', '--output-format=json', 'src'],
        ['--check'],
        ['--output-format'],
      ),
    ).toEqual(['src']);
  });
});

describe('writing-mode arguments', () => {
  it('cargo fmt: no --check and no dangling --', () => {
    expect(fmtArgs(['--all', '--', '--check'])).toEqual(['--all']);
    expect(fmtArgs(['--check', '--', '--config', 'max_width=80'])).toEqual(['--', '--config', 'max_width=80']);
  });

  it('shfmt: -w with the layout flags, and a path when the check had none', () => {
    expect(shfmtArgs(['-d', '-i', '2', '-ci', 'scripts'])).toEqual(['-w', '-i', '2', '-ci', 'scripts']);
    expect(shfmtArgs(['-l', '-i', '4'])).toEqual(['-w', '-i', '4', '.']);
  });

  it('clang-format: in place, the check’s style and files, else the flagged files', () => {
    expect(clangFormatArgs(['--dry-run', '-Werror', '--style=Google', 'src/*.c'], ['src/a.c'])).toEqual([
      '-i',
      '--style=Google',
      'src/*.c',
    ]);
    expect(clangFormatArgs(['--dry-run', '-Werror', '--style', 'file'], ['src/a.c', "it's.c"])).toEqual([
      '-i',
      '--style',
      'file',
      'src/a.c',
      `'it'\\''s.c'`,
    ]);
  });

  it('poetry: the major version decides --no-update', () => {
    expect(poetryMajor('Poetry (version 1.3.2)')).toBe(1);
    expect(poetryMajor('Poetry (version 2.1.3)')).toBe(2);
    expect(poetryMajor('Poetry version 1.1.15')).toBe(1);
    expect(poetryMajor('command not found')).toBeNull();
  });
});
