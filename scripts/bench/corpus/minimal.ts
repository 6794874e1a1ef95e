// Cases whose fix must be minimal (issue 18): scoped checks beside other badly formatted files,
// and a command that rewrites its own lock file. Their patches may touch only `patchFiles`.
import {
  MINIMAL_PATCH_CASES,
  type MinimalPatchCase,
  type MinimalPatchCaseName,
} from '../../lib/fixtures/minimal-patches.js';
import type { BenchCase } from './types.js';

function minimalCase(name: MinimalPatchCaseName, ecosystem: BenchCase['ecosystem']): BenchCase {
  const c: MinimalPatchCase = MINIMAL_PATCH_CASES[name];
  return {
    name: `min-${name}`,
    ecosystem,
    category: c.fixers.includes('eslint') ? 'lint' : 'format',
    command: c.command,
    files: () => ({ ...c.files }),
    expect: { outcome: 'fixed', fixers: c.fixers },
    patchFiles: c.patchFiles,
    ...(c.prepare ? { prepare: c.prepare } : {}),
  };
}

export const minimalCases: BenchCase[] = [
  minimalCase('eslint7-ts-scope', 'javascript'),
  minimalCase('prettier-glob', 'javascript'),
  minimalCase('gofmt-simplify-hint', 'go'),
  minimalCase('cargo-fmt-package', 'rust'),
];
