import type { Fixer } from '../../types.js';
import { runNodeTool } from './project.js';

// Prettier 3 ends `--check` with "Code style issues found in … Run Prettier with --write to fix.";
// Prettier 2 with "Code style issues found in the above file(s). Forgot to run Prettier?".
const CHECK_FAILED = /Code style issues (?:were )?found in|Forgot to run Prettier\?|Run Prettier (?:with --write )?to fix/i;

export const prettierFixer: Fixer = {
  name: 'prettier',
  ecosystem: 'javascript',
  detect: ({ diagnosis, output }) => (diagnosis.tool === 'prettier' && diagnosis.category === 'format') || CHECK_FAILED.test(output),
  // The repository's own prettier (installed, or its pinned version), so the fix uses the same
  // version and config as the check.
  apply: (ctx) => runNodeTool(ctx, { pkg: 'prettier', bin: 'prettier' }, '--write .'),
};
