import { expandScripts } from '../../diagnosis/command-tools.js';
import type { Fixer, FixerContext } from '../../types.js';
import { invocations, withoutFlags } from '../invocation.js';
import { runNodeTool } from './project.js';

// Prettier 3 ends `--check` with "Code style issues found in … Run Prettier with --write to fix.";
// Prettier 2 with "Code style issues found in the above file(s). Forgot to run Prettier?".
const CHECK_FAILED = /Code style issues (?:were )?found in|Forgot to run Prettier\?|Run Prettier (?:with --write )?to fix/i;
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
    if (typeof parsed.scripts === 'object' && parsed.scripts !== null) scripts = parsed.scripts as Record<string, string>;
  } catch {
    scripts = undefined; // a broken package.json is the check's to report
  }
  const found = expandScripts(ctx.failure.command, scripts).flatMap((text) => invocations(text, PRETTIER));
  const args = found.map((inv) => withoutFlags(inv.args, CHECK_ONLY).join(' '));
  const distinct = [...new Set(args)];
  return distinct.length === 1 && /(?:^|\s)[^-\s]/.test(distinct[0]!) ? `--write ${distinct[0]}` : '--write .';
}

export const prettierFixer: Fixer = {
  name: 'prettier',
  ecosystem: 'javascript',
  detect: ({ diagnosis, output }) => (diagnosis.tool === 'prettier' && diagnosis.category === 'format') || CHECK_FAILED.test(output),
  // The repository's own prettier (installed, or its pinned version), so the fix uses the same
  // version and config as the check.
  apply: async (ctx) => runNodeTool(ctx, { pkg: 'prettier', bin: 'prettier' }, await prettierWriteArgs(ctx)),
};
