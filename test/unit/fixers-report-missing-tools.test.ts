// How a fixer decides its tool is missing, on a recording FixerContext (our own interface): by the
// command word the check used (its launcher, the tool, or the driver), and by a probe.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import { blackFixer } from '../../src/fixer/fixers/python/formatters.js';
import { cargoFmtFixer } from '../../src/fixer/fixers/rust/cargo-fmt.js';
import type { FixerContext } from '../../src/fixer/types.js';
import { capturedOutput } from '../support/captured-outputs.js';

function context(command: string, tool: string, name: string, present: string[], failing: RegExp = /^$/) {
  const output = capturedOutput(tool, name).output;
  const ran: string[] = [];
  const ctx: FixerContext = {
    failure: { command, exitCode: 1, output, diagnosis: diagnose({ command, exitCode: 1, output }) },
    run: async (cmd) => {
      ran.push(cmd);
      return { exitCode: failing.test(cmd) ? 1 : 0, durationMs: 1, output: '', stdoutLines: [], timedOut: false };
    },
    command,
    createdByCommand: async () => [],
    readFile: async () => null,
    hasCommand: async (word) => present.includes(word),
    log: () => undefined,
    signal: new AbortController().signal,
  };
  return { ctx, ran };
}

describe('tool-missing outcomes', () => {
  it('the launcher the check used is what must exist: poetry run black needs poetry', async () => {
    const { ctx, ran } = context('poetry run black --check app', 'black', 'black', ['black']);
    expect(await blackFixer.apply(ctx)).toEqual({
      status: 'tool_missing',
      message: 'poetry not found: add it to setup in .ci-fixer.yml',
    });
    expect(ran).toEqual([]);
  });

  it('with the launcher there, the fix runs through it', async () => {
    const { ctx, ran } = context('poetry run black --check --diff app', 'black', 'black', ['poetry']);
    expect(await blackFixer.apply(ctx)).toEqual({ status: 'applied' });
    expect(ran).toEqual(['poetry run black app']);
  });

  it('cargo without the rustfmt component: rustfmt is what is missing', async () => {
    const { ctx, ran } = context(
      'cargo +nightly fmt --all -- --check',
      'cargo-fmt',
      'cargo-fmt',
      ['cargo'],
      /fmt --version$/,
    );
    expect(await cargoFmtFixer.apply(ctx)).toEqual({
      status: 'tool_missing',
      message: 'rustfmt not found: add it to setup in .ci-fixer.yml',
    });
    expect(ran).toEqual(['cargo +nightly fmt --version']);
  });

  it('rustfmt run directly needs no cargo', async () => {
    const { ctx, ran } = context('rustfmt --check --edition 2021 src/lib.rs', 'cargo-fmt', 'cargo-fmt', ['rustfmt']);
    expect(await cargoFmtFixer.apply(ctx)).toEqual({ status: 'applied' });
    expect(ran).toEqual(['rustfmt --edition 2021 src/lib.rs']);
  });
});
