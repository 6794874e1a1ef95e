import { expandScripts } from '../../diagnosis/command-tools.js';
import type { Fixer, FixerContext } from '../../types.js';
import { invocations, withoutFlags } from '../invocation.js';
import { runNodeTool } from './project.js';

// Prettier 3 ends `--check` with "Code style issues found in … Run Prettier with --write to fix.";
// Prettier 2 with "Code style issues found in the above file(s). Forgot to run Prettier?".
const CHECK_FAILED =
  /Code style issues (?:were )?found in|Forgot to run Prettier\?|Run Prettier (?:with --write )?to fix/i;
const PRETTIER = /prettier(?:@[\w.^~<>=-]{1,40})?/;
const CHECK_ONLY = ['--check', '-c', '--list-different', '-l', '--debug-check'];

/**
 * What `--write` should format: the paths and flags the check itself used (`prettier --check
 * "src/**\/*.ts"`, also behind `npm run format:check`), so files the check never looked at stay
 * as they are; `.` when the check cannot be read (one invocation only: several are ambiguous).
 */
export async function prettierWriteArgs(ctx: FixerContext): Promise<string> {
  let scripts: Record<string, string> | undefined;
  try {
    const parsed = JSON.parse((await ctx.readFile('package.json')) ?? '{}') as { scripts?: unknown };
    if (typeof parsed.scripts === 'object' && parsed.scripts !== null)
      scripts = parsed.scripts as Record<string, string>;
  } catch {
    scripts = undefined; // a broken package.json is the check's to report
  }
  const found = expandScripts(ctx.failure.command, scripts).flatMap((text) => invocations(text, PRETTIER));
  const args = [...new Set(found.map((inv) => withoutFlags(inv.args, CHECK_ONLY).join(' ')))];
  if (args.length !== 1) return '--write .';
  const words = args[0]!.split(/\s+/).filter((w) => w !== '');
  // The check's flags stay; without a path of its own it formats the folder it ran in.
  return hasPath(words) ? `--write ${words.join(' ')}` : `--write ${[...words, '.'].join(' ')}`;
}

// Prettier's options that take a value as the next word.
const VALUE_FLAGS = new Set([
  '--log-level',
  '--loglevel',
  '--ignore-path',
  '--config',
  '--plugin',
  '--cache-location',
  '--cache-strategy',
  '--parser',
  '--config-precedence',
  '--stdin-filepath',
  '--end-of-line',
  '--trailing-comma',
  '--print-width',
  '--tab-width',
  '--arrow-parens',
  '--prose-wrap',
  '--quote-props',
  '--html-whitespace-sensitivity',
  '--embedded-language-formatting',
  '--object-wrap',
  '--experimental-operator-position',
]);

function hasPath(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (VALUE_FLAGS.has(word)) i++;
    else if (!word.startsWith('-')) return true;
  }
  return false;
}

export const prettierFixer: Fixer = {
  name: 'prettier',
  ecosystem: 'javascript',
  detect: ({ diagnosis, output }) =>
    (diagnosis.tool === 'prettier' && diagnosis.category === 'format') || CHECK_FAILED.test(output),
  // The repository's own prettier (installed, or its pinned version), so the fix uses the same
  // version and config as the check.
  apply: async (ctx) => runNodeTool(ctx, { pkg: 'prettier', bin: 'prettier' }, await prettierWriteArgs(ctx)),
};
