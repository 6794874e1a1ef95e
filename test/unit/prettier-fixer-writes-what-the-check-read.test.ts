// The prettier fixer's --write arguments come from the check it repairs: its paths and flags,
// through package.json scripts, and `.` when the check is ambiguous or names no paths.
import { describe, expect, it } from 'vitest';
import { prettierWriteArgs } from '../../src/fixer/fixers/javascript/prettier.js';
import type { FixerContext } from '../../src/fixer/types.js';

function ctxFor(command: string, packageJson: string | null): FixerContext {
  return {
    run: async () => ({ exitCode: 0, durationMs: 0, output: '', stdoutLines: [], timedOut: false }),
    failure: {
      command,
      exitCode: 1,
      output: '',
      diagnosis: { tool: 'prettier', category: 'format', step: null, locations: [], excerpt: [], summary: '' },
    },
    command,
    createdByCommand: async () => [],
    readFile: async (path) => (path === 'package.json' ? packageJson : null),
    hasCommand: async () => true,
    log: () => {},
    signal: new AbortController().signal,
  };
}

describe('prettier --write arguments', () => {
  it('keeps the check paths and flags, also behind an npm script', async () => {
    expect(
      await prettierWriteArgs(ctxFor('npx prettier@3.3.3 --check "src/**/*.ts" --ignore-path .gitignore', null)),
    ).toBe('--write "src/**/*.ts" --ignore-path .gitignore');
    const pkg = JSON.stringify({
      scripts: { 'format:check': 'prettier -c docs README.md', lint: 'eslint . && npm run format:check' },
    });
    expect(await prettierWriteArgs(ctxFor('npm run lint', pkg))).toBe('--write docs README.md');
  });

  it('writes the whole folder when the check names no paths, runs prettier twice differently, or cannot be read', async () => {
    expect(await prettierWriteArgs(ctxFor('npx prettier --check .', null))).toBe('--write .');
    expect(await prettierWriteArgs(ctxFor('prettier --check --log-level warn', null))).toBe(
      '--write --log-level warn .',
    );
    expect(await prettierWriteArgs(ctxFor('prettier --check src && prettier --check docs', null))).toBe('--write .');
    expect(await prettierWriteArgs(ctxFor('make format-check', '{ not json'))).toBe('--write .');
  });
});
