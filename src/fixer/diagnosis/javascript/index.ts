// The JavaScript/TypeScript recognizers, one module per tool family.
import type { Recognizer } from '../types.js';
import { nodeTestRecognizer } from './node-test.js';

export const javascriptRecognizers: readonly Recognizer[] = [nodeTestRecognizer];
