import type { Fixer } from '../../types.js';

// Prettier 3 ends `--check` with "Code style issues found in … Run Prettier with --write to fix.";
// Prettier 2 with "Code style issues found in the above file(s). Forgot to run Prettier?".
const CHECK_FAILED = /Code style issues (?:were )?found in|Forgot to run Prettier\?|Run Prettier (?:with --write )?to fix/i;

export const prettierFixer: Fixer = {
  name: 'prettier',
  ecosystem: 'javascript',
  detect: (failure) => CHECK_FAILED.test(failure.output),
  async apply({ run }) {
    // npx prefers the repository's own prettier when its dependencies are installed, so the fix
    // uses the same version (and config) as the check.
    await run('npx prettier --write .');
    return { status: 'applied' };
  },
};
