import type { Fixer } from '../../types.js';

export const rustFixers: readonly Fixer[] = [];
