// Recognizers for the javascript ecosystem's tools.
import type { Recognizer } from './types.js';

export const javascriptRecognizers: readonly Recognizer[] = [];
