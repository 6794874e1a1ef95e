// Failures no tool can fix, through the real pipeline on the local sandbox: the outcome is
// `not_fixed`, and the output the sandbox streamed diagnoses to the test tool, the failing file
// (repository-relative, existing in the checkout) and the lines that matter.
import { describe, expect, it } from 'vitest';
import { PYTHON_CASES } from '../../scripts/lib/fixtures/python.js';
import { RUST_CASES } from '../../scripts/lib/fixtures/rust.js';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import type { FixtureCase } from '../../scripts/lib/fixtures/repo.js';
import { runPipeline, sh, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';
import { caseRepo } from '../support/fixer-cases.js';

const { fixtures, provider } = usePipelineEnvironment();

async function diagnoseUnfixable(name: string, fixture: FixtureCase) {
  const repo = await caseRepo(fixtures, name, fixture);
  const run = await runPipeline(provider(), specFor(repo));
  expect(run.error).toBeUndefined();
  expect(run.result).toMatchObject({ outcome: fixture.expect!.outcome, fixer: null });
  const repro = run.result!.commands.find((c) => c.command === repo.command)!;
  // The task log's stdout and stderr: the reproduce run's output (after the clone's few lines).
  const output = run.logs
    .filter((l) => l.stream !== 'system')
    .map((l) => l.text)
    .join('\n');
  const files = new Set((await sh('git ls-files', repo.dir)).output.trim().split('\n'));
  return diagnose({ command: repo.command, exitCode: repro.exitCode, output, files });
}

describe('unfixable failures are diagnosed from the sandbox output', () => {
  it('pytest: the failing test file and line, and the assertion', async () => {
    const d = await diagnoseUnfixable('pytest', PYTHON_CASES['pytest-failing']);
    expect(d).toMatchObject({ tool: 'pytest', category: 'test', locations: [{ path: 'tests/test_calc.py', line: 5 }] });
    expect(d.excerpt).toContain('FAILED tests/test_calc.py::test_add - assert -1 == 3');
    expect(d.summary).toBe('pytest failed in tests/test_calc.py:5 (test)');
  });

  it('cargo test: the panicking test and where it panicked', async () => {
    const d = await diagnoseUnfixable('cargo-test', RUST_CASES['cargo-test-failing']);
    expect(d).toMatchObject({
      tool: 'cargo-test',
      category: 'test',
      locations: [{ path: 'src/lib.rs', line: 11, column: 9 }],
    });
    expect(d.excerpt[0]).toBe('test tests::adds ... FAILED');
  });

  it('mypy and a rust type error: type failures at their lines', async () => {
    expect(await diagnoseUnfixable('mypy', PYTHON_CASES.mypy)).toMatchObject({
      tool: 'mypy',
      category: 'type',
      locations: [{ path: 'app/typed.py', line: 2 }],
    });
    expect(await diagnoseUnfixable('rust-type', RUST_CASES['cargo-build-type-error'])).toMatchObject({
      tool: 'cargo-build',
      category: 'type',
      locations: [{ path: 'src/main.rs', line: 2 }],
    });
  });

  it('clippy -D warnings: a lint failure no deterministic fixer claims', async () => {
    expect(await diagnoseUnfixable('clippy', RUST_CASES.clippy)).toMatchObject({
      tool: 'clippy',
      category: 'lint',
      locations: [
        { path: 'src/main.rs', line: 3, column: 8 },
        { path: 'src/main.rs', line: 2, column: 17 },
      ],
    });
  });
});
