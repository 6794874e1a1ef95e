import type { Fixer } from '../../types.js';

export const pythonFixers: readonly Fixer[] = [];
