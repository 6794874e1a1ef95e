// The bench:fix corpus: every case of every ecosystem (scripts/bench/corpus/<ecosystem>.ts).
import { goCases } from './go.js';
import { javascriptCases } from './javascript.js';
import { minimalCases } from './minimal.js';
import { pythonCases } from './python.js';
import { rustCases } from './rust.js';
import type { BenchCase } from './types.js';

export const CORPUS: readonly BenchCase[] = [
  ...javascriptCases,
  ...goCases,
  ...pythonCases,
  ...rustCases,
  ...minimalCases,
];

export { buildCase, kindOf, type BenchCase, type CaseKind, type ModelFix } from './types.js';
