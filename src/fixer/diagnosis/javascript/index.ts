// The JavaScript/TypeScript recognizers, one module per tool family.
import type { Recognizer } from '../types.js';
import { eslintRecognizer } from './eslint.js';
import { biomeRecognizer, prettierRecognizer } from './format.js';
import { nodeTestRecognizer } from './node-test.js';
import { npmRecognizer, pnpmRecognizer, yarnRecognizer } from './packages.js';
import { jestRecognizer, mochaRecognizer, vitestRecognizer } from './test-runners.js';
import { tscRecognizer } from './tsc.js';

export const javascriptRecognizers: readonly Recognizer[] = [
  prettierRecognizer,
  eslintRecognizer,
  biomeRecognizer,
  tscRecognizer,
  nodeTestRecognizer,
  jestRecognizer,
  vitestRecognizer,
  mochaRecognizer,
  npmRecognizer,
  yarnRecognizer,
  pnpmRecognizer,
];
