import { shellQuote } from '../../../shared/shell.js';
import type { Fixer, FixerContext, FixerOutcome } from '../../types.js';
import { withoutFlags } from '../invocation.js';
import { checkInvocations, hasPath, namedFiles } from './check-invocation.js';
import { runNodeTool } from './project.js';

// ESLint's stylish/default formatters end with
// "N errors and M warnings potentially fixable with the `--fix` option."
const FIXABLE = /(\d+) errors? and (\d+) warnings? potentially fixable with the [`'"]?--fix[`'"]? option/gi;

export function eslintFixableCount(output: string): number {
  let total = 0;
  for (const match of output.matchAll(FIXABLE)) total += Number(match[1]) + Number(match[2]);
  return total;
}

// Its name in the command, with the version npx runs (`npx eslint@9 .`).
const ESLINT = /eslint(?:@[\w.^~<>=-]{1,40})?/;
const MAX_RUNS = 3;
// Flags that only shape the check's report or verdict: the fix run has no use for them.
const REPORT_ONLY = ['--fix', '--fix-dry-run', '--color', '--no-color', '--stats'];
const REPORT_VALUED = ['--format', '-f', '--output-file', '-o', '--max-warnings'];
// ESLint's options that take the next word as their value (so it is not taken for a path).
const VALUED = new Set([
  '--ext',
  '-c',
  '--config',
  '--resolve-plugins-relative-to',
  '--rulesdir',
  '--parser',
  '--parser-options',
  '--plugin',
  '--rule',
  '--env',
  '--global',
  '--ignore-path',
  '--ignore-pattern',
  '--cache-location',
  '--cache-strategy',
  '--fix-type',
  '--report-unused-disable-directives-severity',
  '--flag',
]);
// What ESLint lints when asked by file (its default extensions and the usual TypeScript ones).
const LINTABLE = /\.(?:[cm]?[jt]sx?|vue|svelte|astro)$/;

/**
 * The `--fix` runs that mirror the check: its paths, extensions, config and rules
 * (`eslint ./src --ext .ts` -> `--fix ./src --ext .ts`, also behind `npm run lint`); when it names
 * no path, the files the diagnosis named; `.` only when neither says more.
 */
export async function eslintFixArgs(ctx: FixerContext): Promise<string[]> {
  const found = await checkInvocations(ctx, ESLINT);
  const named = namedFiles(ctx, LINTABLE).map(shellQuote);
  const runs = new Set<string>();
  for (const inv of found) {
    const kept = withoutFlags(inv.args, REPORT_ONLY, REPORT_VALUED);
    const paths = hasPath(kept, VALUED) ? [] : named.length > 0 ? named : ['.'];
    runs.add(['--fix', ...kept, ...paths].join(' '));
  }
  if (runs.size === 0) runs.add(['--fix', ...(named.length > 0 ? named : ['.'])].join(' '));
  return [...runs].slice(0, MAX_RUNS);
}

async function apply(ctx: FixerContext): Promise<FixerOutcome> {
  let outcome: FixerOutcome = { status: 'skipped', message: 'eslint: nothing to run' };
  for (const args of await eslintFixArgs(ctx)) {
    outcome = await runNodeTool(ctx, { pkg: 'eslint', bin: 'eslint' }, args);
    if (outcome.status !== 'applied') return outcome;
  }
  return outcome;
}

export const eslintFixer: Fixer = {
  name: 'eslint',
  ecosystem: 'javascript',
  // Only when eslint says --fix can repair something: other lint errors need a person (or the model).
  detect: (failure) => eslintFixableCount(failure.output) > 0,
  // A non-zero exit usually means unfixable problems remain; the verify step decides.
  apply,
};
