// Which of the python, rust and "other" fixers claim a failure: each on its own tool's captured
// (or, for ruff and uv, documented) output, and none on the others'.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import { applicableFixers } from '../../src/fixer/fixers/index.js';
import type { Failure } from '../../src/fixer/types.js';
import { capturedFailure } from '../support/captured-outputs.js';

const claim = (failure: Failure) => applicableFixers(failure).map((f) => f.name);
const failure = (command: string, output: string, exitCode = 1): Failure => ({
  command,
  exitCode,
  output,
  diagnosis: diagnose({ command, exitCode, output }),
});

describe('fixer detection on real tool output', () => {
  it.each([
    ['black', 'black', 'black'],
    ['isort', 'isort', 'isort'],
    ['poetry', 'poetry-lock', 'poetry-lock'],
    ['ruff', 'check-concise', 'ruff'],
    ['ruff', 'check-full', 'ruff'],
    ['ruff', 'format-check', 'ruff-format'],
    ['uv', 'lock-locked', 'uv-lock'],
    ['cargo-fmt', 'cargo-fmt', 'cargo-fmt'],
    ['cargo-build', 'cargo-lock', 'cargo-lock'],
    ['terraform', 'terraform-fmt', 'terraform-fmt'],
    ['shfmt', 'shfmt', 'shfmt'],
    ['clang-format', 'clang-format', 'clang-format'],
  ])('%s/%s is claimed by %s alone', (tool, name, fixer) => {
    expect(claim(capturedFailure(tool, name))).toEqual([fixer]);
  });

  it.each([
    ['pytest', 'pytest-failing'],
    ['mypy', 'mypy'],
    ['cargo-build', 'cargo-build-type-error'],
    ['cargo-test', 'cargo-test-failing'],
    ['clippy', 'clippy'],
  ])('%s/%s needs thought: no deterministic fixer claims it', (tool, name) => {
    expect(claim(capturedFailure(tool, name))).toEqual([]);
  });

  it('black claims files to reformat, not a file it cannot parse', () => {
    expect(
      claim(
        failure(
          'black --check .',
          'error: cannot format a.py: Cannot parse: 1:4: def (:\nOh no! 💥 💔 💥\n1 file failed to reformat.',
        ),
      ),
    ).toEqual([]);
  });

  it('a poetry warning that did not fail the command is not claimed', () => {
    expect(
      claim(
        failure(
          'poetry install && pytest',
          'Warning: poetry.lock is not consistent with pyproject.toml. You may be getting improper dependencies.\n',
        ),
      ),
    ).toEqual([]);
  });

  it('a chained command: each formatter claims its own step', () => {
    const both = `${capturedFailure('isort', 'isort').output}\n${capturedFailure('black', 'black').output}`;
    expect(claim(failure('isort --check-only . && black --check .', both))).toEqual(['isort', 'black']);
  });

  it('garbage claims nothing', () => {
    expect(claim(failure('make', '\u0000\u001b[31m\uFFFD'.repeat(10_000)))).toEqual([]);
    expect(claim(failure('make', 'x'.repeat(1 << 20)))).toEqual([]);
  });
});
