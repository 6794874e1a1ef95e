import { shellQuote } from '../../../shared/shell.js';
import type { Fixer, FixerContext } from '../../types.js';
import { withoutFlags } from '../invocation.js';
import { checkInvocations, hasPath, namedFiles } from './check-invocation.js';
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
  const found = await checkInvocations(ctx, PRETTIER);
  const args = [...new Set(found.map((inv) => withoutFlags(inv.args, CHECK_ONLY).join(' ')))];
  // Without a path of the check's own: the files it listed, else the folder it ran in.
  const named = namedFiles(ctx, /\.\w+$/).map(shellQuote);
  const fallback = named.length > 0 ? named : ['.'];
  if (args.length !== 1) return `--write ${fallback.join(' ')}`;
  const words = args[0]!.split(/\s+/).filter((w) => w !== '');
  // The check's flags stay.
  return `--write ${[...words, ...(hasPath(words, VALUE_FLAGS) ? [] : fallback)].join(' ')}`;
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

export const prettierFixer: Fixer = {
  name: 'prettier',
  ecosystem: 'javascript',
  detect: ({ diagnosis, output }) =>
    (diagnosis.tool === 'prettier' && diagnosis.category === 'format') || CHECK_FAILED.test(output),
  // The repository's own prettier (installed, or its pinned version), so the fix uses the same
  // version and config as the check.
  apply: async (ctx) => runNodeTool(ctx, { pkg: 'prettier', bin: 'prettier' }, await prettierWriteArgs(ctx)),
};
