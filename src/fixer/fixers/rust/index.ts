import type { Fixer } from '../../types.js';
import { cargoFmtFixer } from './cargo-fmt.js';
import { cargoLockFixer } from './cargo-lock.js';

export const rustFixers: readonly Fixer[] = [cargoFmtFixer, cargoLockFixer];
