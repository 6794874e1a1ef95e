// Lock files that no longer match pyproject.toml: poetry lock and uv lock, each keeping the locked
// versions it can (only the lock file is rewritten; nothing is installed).
import { poetryRecognizer, uvRecognizer } from '../../diagnosis/python.js';
import type { Fixer } from '../../types.js';
import { recognise, toolMissing } from '../tool-fixer.js';

/** "Poetry (version 1.8.3)" / "Poetry version 1.1.15" → 1; null when unreadable. */
export function poetryMajor(versionOutput: string): number | null {
  const m = versionOutput.match(/Poetry \(?version (\d+)\.\d+/i);
  return m ? Number(m[1]) : null;
}

export const poetryLockFixer: Fixer = {
  name: 'poetry-lock',
  ecosystem: 'python',
  detect: (failure) => (recognise(poetryRecognizer, failure)?.confidence ?? 0) >= 0.9,
  async apply(ctx) {
    if (!(await ctx.hasCommand('poetry'))) return toolMissing('poetry');
    const version = await ctx.run('poetry --version --no-ansi');
    // Poetry 1.x re-resolves every dependency to its newest version unless told --no-update;
    // Poetry 2 keeps the locked versions by default and no longer knows the flag.
    const major = poetryMajor(version.output);
    const keep = major !== null && major < 2 ? ' --no-update' : '';
    await ctx.run(`poetry lock${keep} --no-interaction --no-ansi`);
    return { status: 'applied' };
  },
};

export const uvLockFixer: Fixer = {
  name: 'uv-lock',
  ecosystem: 'python',
  detect: (failure) => recognise(uvRecognizer, failure) !== null,
  async apply(ctx) {
    if (!(await ctx.hasCommand('uv'))) return toolMissing('uv');
    // UV_LOCKED / UV_FROZEN in the environment would make `uv lock` refuse just as the check did.
    // uv enforces the project's own `required-version` ([tool.uv]) itself.
    await ctx.run('env -u UV_LOCKED -u UV_FROZEN uv lock');
    return { status: 'applied' };
  },
};
