// Recognizers for the go ecosystem's tools.
import type { Recognizer } from './types.js';

export const goRecognizers: readonly Recognizer[] = [];
