import type { Fixer } from '../../types.js';
import { clangFormatFixer, shfmtFixer, terraformFmtFixer } from './formatters.js';

export const otherFixers: readonly Fixer[] = [terraformFmtFixer, shfmtFixer, clangFormatFixer];
