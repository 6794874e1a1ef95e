import type { Fixer } from '../../types.js';
import { runNodeTool } from './project.js';

// ESLint's stylish/default formatters end with
// "N errors and M warnings potentially fixable with the `--fix` option."
const FIXABLE = /(\d+) errors? and (\d+) warnings? potentially fixable with the [`'"]?--fix[`'"]? option/gi;

export function eslintFixableCount(output: string): number {
  let total = 0;
  for (const match of output.matchAll(FIXABLE)) total += Number(match[1]) + Number(match[2]);
  return total;
}

export const eslintFixer: Fixer = {
  name: 'eslint',
  ecosystem: 'javascript',
  // Only when eslint says --fix can repair something: other lint errors need a person (or the model).
  detect: (failure) => eslintFixableCount(failure.output) > 0,
  // A non-zero exit usually means unfixable problems remain; the verify step decides.
  apply: (ctx) => runNodeTool(ctx, { pkg: 'eslint', bin: 'eslint' }, '--fix .'),
};
