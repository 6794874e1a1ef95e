import type { Fixer } from '../../types.js';
import { eslintFixer } from './eslint.js';
import { npmLockfileFixer } from './npm-lockfile.js';
import { prettierFixer } from './prettier.js';

export const javascriptFixers: readonly Fixer[] = [prettierFixer, eslintFixer, npmLockfileFixer];
