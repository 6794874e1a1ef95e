import type { Fixer } from '../../types.js';
import { gofmtFixer } from './gofmt.js';
import { goimportsFixer } from './goimports.js';
import { goModTidyFixer } from './go-mod-tidy.js';

// go.mod first: a module that does not resolve fails every other Go tool too.
export const goFixers: readonly Fixer[] = [goModTidyFixer, gofmtFixer, goimportsFixer];
