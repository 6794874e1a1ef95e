// Recognizers for the rust ecosystem's tools.
import type { Recognizer } from './types.js';

export const rustRecognizers: readonly Recognizer[] = [];
