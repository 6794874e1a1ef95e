import type { Fixer } from '../../types.js';

export const otherFixers: readonly Fixer[] = [];
