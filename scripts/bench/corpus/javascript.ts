// JavaScript/TypeScript cases. Tools come through npx (the npm registry), as a repository
// without installed dependencies would get them in CI.
import { GENERATED_FIXTURES, type GeneratedFixtureName } from '../../lib/fixtures/generated.js';
import type { FileMap } from '../../lib/git-fixtures.js';
import { json, type BenchCase } from './types.js';

const pkg = (extra: Record<string, unknown> = {}): string =>
  json({ name: 'bench-case', version: '1.0.0', private: true, type: 'module', ...extra });
const base = (files: FileMap): FileMap => ({ 'package.json': pkg(), '.gitignore': 'node_modules/\n', ...files });

const SUM = 'export function sum(values) {\n  return values.reduce((total, value) => total + value, 0);\n}\n';
const SUM_TEST =
  'import assert from "node:assert/strict";\nimport { test } from "node:test";\nimport { sum } from "../src/sum.js";\n\ntest("sum adds", () => {\n  assert.equal(sum([1, 2, 3]), 6);\n});\n';
const UNFORMATTED = 'export function sum( values ){\n    return values.reduce((total,value)=>total+value, 0)\n}\n';
const ESLINT_CONFIG =
  "export default [{ rules: { 'no-var': 'error', 'prefer-const': 'error', eqeqeq: ['error', 'always'] } }];\n";
/** Each rule here has an autofix (eqeqeq's is for typeof comparisons only, so it is left out). */
const LINT_FIXABLE =
  "var limit = 3;\nlet label = 'items';\nexport function describe(count) {\n  return count > limit ? `many ${label}` : `few ${label}`;\n}\n";

/** A "generate, then demand no diff" case on its fixture (scripts/lib/fixtures/generated.ts). */
function generatedCase(
  fixture: GeneratedFixtureName,
  rest: Pick<BenchCase, 'name' | 'expect'> & Partial<BenchCase>,
): BenchCase {
  const { files, command } = GENERATED_FIXTURES[fixture];
  return { ecosystem: 'javascript', category: 'generated', command, files: () => ({ ...files }), ...rest };
}

export const javascriptCases: BenchCase[] = [
  {
    name: 'js-prettier',
    ecosystem: 'javascript',
    category: 'format',
    command: 'node --test && npx prettier@3 --check .',
    files: () => base({ 'src/sum.js': UNFORMATTED, 'test/sum.test.js': SUM_TEST }),
    expect: { outcome: 'fixed', fixers: ['prettier'] },
  },
  {
    name: 'js-eslint',
    ecosystem: 'javascript',
    category: 'lint',
    command: 'npx eslint@9 . && node --test',
    files: () =>
      base({
        'eslint.config.js': ESLINT_CONFIG,
        'src/describe.js': LINT_FIXABLE,
        'src/sum.js': SUM,
        'test/sum.test.js': SUM_TEST,
      }),
    expect: { outcome: 'fixed', fixers: ['eslint'] },
  },
  {
    name: 'js-eslint-and-prettier',
    ecosystem: 'javascript',
    category: 'lint',
    command: 'npx eslint@9 . && npx prettier@3 --check .',
    files: () =>
      base({ 'eslint.config.js': ESLINT_CONFIG, 'src/describe.js': LINT_FIXABLE, 'src/sum.js': UNFORMATTED }),
    expect: { outcome: 'fixed', fixers: ['eslint', 'prettier'] },
    // eslint's failure names src/describe.js; prettier's, the next round's, also the config file
    // (its check covers the whole folder, and the config is not prettier-formatted).
    patchFiles: ['src/describe.js', 'src/sum.js', 'eslint.config.js'],
  },
  {
    name: 'js-npm-lockfile',
    ecosystem: 'javascript',
    category: 'dependency',
    command: 'npm ci --ignore-scripts --no-audit --no-fund && node --test',
    files: () => ({
      ...base({
        'src/sum.js': SUM,
        'test/sum.test.js': SUM_TEST,
        'vendor/left-pad-lite/package.json': json({ name: 'left-pad-lite', version: '1.0.0' }),
      }),
      'package.json': pkg({ dependencies: { 'left-pad-lite': 'file:vendor/left-pad-lite' } }),
      // Written before the dependency was added: npm ci refuses it.
      'package-lock.json': json({
        name: 'bench-case',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'bench-case', version: '1.0.0' } },
      }),
    }),
    expect: { outcome: 'fixed', fixers: ['npm-lockfile'] },
  },
  {
    name: 'js-biome',
    ecosystem: 'javascript',
    category: 'format',
    command: 'npx @biomejs/biome@2 format .',
    files: () => base({ 'src/sum.js': UNFORMATTED }),
    expect: { outcome: 'fixed', fixers: ['biome'] },
  },
  {
    name: 'js-prettier-then-test-bug',
    ecosystem: 'javascript',
    category: 'test',
    command: 'npx prettier@3 --check . && node --test',
    // prettier can fix the first step; the second fails on a real bug that only thought fixes.
    files: () =>
      base({ 'src/sum.js': UNFORMATTED.replace('total+value', 'total*value'), 'test/sum.test.js': SUM_TEST }),
    needsModel: true,
    expect: { outcome: 'not_fixed' },
  },
  {
    name: 'js-node-test-logic-bug',
    ecosystem: 'javascript',
    category: 'test',
    command: 'node --test',
    files: () => base({ 'src/sum.js': SUM.replace('0);', '1);'), 'test/sum.test.js': SUM_TEST }),
    needsModel: true,
    modelFix: { path: 'src/sum.js', old_string: 'value, 1);', new_string: 'value, 0);' },
    expect: { outcome: 'not_fixed' },
  },
  {
    name: 'js-eslint-unfixable',
    ecosystem: 'javascript',
    category: 'lint',
    command: 'npx eslint@9 .',
    // no-undef has no autofix: which variable was meant is a question for a person (or a model).
    files: () =>
      base({
        'eslint.config.js': "export default [{ rules: { 'no-undef': 'error' } }];\n",
        'src/total.js': 'export const total = subtotal + 1;\n',
      }),
    needsModel: true,
    expect: { outcome: 'not_fixed' },
  },
  {
    name: 'ts-type-error',
    ecosystem: 'javascript',
    category: 'type',
    command: 'npx -p typescript@5 tsc --noEmit -p .',
    files: () =>
      base({
        'tsconfig.json': json({
          compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext' },
          include: ['src'],
        }),
        'src/price.ts':
          'export interface Price { amount: number; currency: string }\n\nexport function total(prices: Price[]): number {\n  return prices.map((p) => p.currency).reduce((a, b) => a + b, 0);\n}\n',
      }),
    needsModel: true,
    modelFix: { path: 'src/price.ts', old_string: 'p.currency)', new_string: 'p.amount)' },
    expect: { outcome: 'not_fixed' },
  },
  generatedCase('prettier-write-diff', {
    name: 'js-prettier-write-diff',
    expect: { outcome: 'fixed', fixers: ['generated'] },
  }),
  generatedCase('status-porcelain', {
    name: 'js-generate-status-porcelain',
    expect: { outcome: 'fixed', fixers: ['generated'] },
  }),
  // The diff check passes once prettier's output is committed; the test after it fails on a real bug.
  generatedCase('diff-then-test-fails', {
    name: 'js-prettier-diff-then-test-bug',
    category: 'test',
    needsModel: true,
    expect: { outcome: 'not_fixed' },
  }),
  {
    name: 'js-green',
    ecosystem: 'javascript',
    category: 'green',
    command: 'node --test && npx prettier@3 --check .',
    files: () => base({ 'src/sum.js': SUM, 'test/sum.test.js': SUM_TEST }),
    expect: { outcome: 'not_reproduced' },
  },
];
