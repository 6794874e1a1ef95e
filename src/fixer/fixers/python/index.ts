import type { Fixer } from '../../types.js';
import { blackFixer, isortFixer, ruffFixer, ruffFormatFixer } from './formatters.js';
import { poetryLockFixer, uvLockFixer } from './lockfiles.js';

// isort before black: black has the last word on the layout isort writes (profile "black" or not).
export const pythonFixers: readonly Fixer[] = [
  ruffFixer,
  ruffFormatFixer,
  isortFixer,
  blackFixer,
  poetryLockFixer,
  uvLockFixer,
];
