import { describe, expect, it } from 'vitest';
import { applicableFixers, FIXERS } from '../../src/fixer/fixers/index.js';
import { eslintFixableCount } from '../../src/fixer/fixers/javascript/eslint.js';
import { javascriptFixers } from '../../src/fixer/fixers/javascript/index.js';
import type { Failure } from '../../src/fixer/types.js';
import { diagnose } from '../../src/fixer/diagnosis/index.js';

const failure = (output: string): Failure => ({
  command: 'npm test',
  exitCode: 1,
  output,
  diagnosis: diagnose({ command: 'npm test', exitCode: 1, output }),
});
const names = (output: string, allowed?: Parameters<typeof applicableFixers>[1]) =>
  applicableFixers(failure(output), allowed).map((f) => f.name);

const PRETTIER_3 =
  'Checking formatting...\n[warn] src/a.js\n[warn] Code style issues found in the above file. Run Prettier with --write to fix.';
const PRETTIER_3_MANY = '[warn] Code style issues found in 2 files. Run Prettier with --write to fix.';
const PRETTIER_2 = '[warn] src/a.js\n[warn] Code style issues found in the above file(s). Forgot to run Prettier?';
const ESLINT_FIXABLE =
  '/r/a.js\n  1:1  error  Unexpected var  no-var\n\n✖ 2 problems (2 errors, 0 warnings)\n  2 errors and 0 warnings potentially fixable with the `--fix` option.';
const ESLINT_UNFIXABLE =
  "/r/a.js\n  1:7  error  'x' is assigned a value but never used  no-unused-vars\n\n✖ 1 problem (1 error, 0 warnings)";
const NPM_CI =
  'npm error `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing.\nnpm error Missing: demo-dep@1.0.0 from lock file';
const NPM6_CI =
  'npm ERR! cipm can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync.';

describe('fixer detection from failure output', () => {
  it('recognises prettier --check failures of prettier 2 and 3', () => {
    expect(names(PRETTIER_3)).toEqual(['prettier']);
    expect(names(PRETTIER_3_MANY)).toEqual(['prettier']);
    expect(names(PRETTIER_2)).toEqual(['prettier']);
  });

  it('recognises eslint only when it reports fixable problems', () => {
    expect(names(ESLINT_FIXABLE)).toEqual(['eslint']);
    expect(names(ESLINT_UNFIXABLE)).toEqual([]);
    expect(
      names('✖ 1 problem (0 errors, 1 warning)\n  0 errors and 1 warning potentially fixable with the `--fix` option.'),
    ).toEqual(['eslint']);
    expect(names('✖ 3 problems\n  0 errors and 0 warnings potentially fixable with the `--fix` option.')).toEqual([]);
  });

  it('sums fixable counts over several eslint summaries', () => {
    expect(eslintFixableCount(`${ESLINT_FIXABLE}\n${ESLINT_FIXABLE}`)).toBe(4);
  });

  it('recognises npm ci lock file drift of npm 6 and later', () => {
    expect(names(NPM_CI)).toEqual(['npm-lockfile']);
    expect(names(NPM6_CI)).toEqual(['npm-lockfile']);
  });

  it('finds nothing in an ordinary test failure', () => {
    expect(names('AssertionError: expected 2 to equal 3\n    at test.js:3:9\nnpm error Test failed.')).toEqual([]);
  });

  it('tries several fixers in the default order', () => {
    expect(names(`${NPM_CI}\n${ESLINT_FIXABLE}\n${PRETTIER_3}`)).toEqual(['prettier', 'eslint', 'npm-lockfile']);
    expect(javascriptFixers.map((f) => f.name)).toEqual([
      'prettier',
      'eslint',
      'biome',
      'npm-lockfile',
      'yarn-lockfile',
      'pnpm-lockfile',
    ]);
    expect(FIXERS.slice(0, javascriptFixers.length)).toEqual(javascriptFixers);
  });

  it("follows the task's fixers list for both selection and order", () => {
    const all = `${NPM_CI}\n${ESLINT_FIXABLE}\n${PRETTIER_3}`;
    expect(names(all, ['npm-lockfile', 'prettier'])).toEqual(['npm-lockfile', 'prettier']);
    expect(names(all, ['eslint', 'eslint'])).toEqual(['eslint']);
    expect(names(PRETTIER_3, ['eslint'])).toEqual([]);
  });
});
