import type { Fixer } from '../../types.js';
import { biomeFixer } from './biome.js';
import { eslintFixer } from './eslint.js';
import { npmLockfileFixer } from './npm-lockfile.js';
import { pnpmLockfileFixer } from './pnpm-lockfile.js';
import { prettierFixer } from './prettier.js';
import { yarnLockfileFixer } from './yarn-lockfile.js';

export const javascriptFixers: readonly Fixer[] = [
  prettierFixer,
  eslintFixer,
  biomeFixer,
  npmLockfileFixer,
  yarnLockfileFixer,
  pnpmLockfileFixer,
];
