import type { Fixer } from '../../types.js';

export const goFixers: readonly Fixer[] = [];
