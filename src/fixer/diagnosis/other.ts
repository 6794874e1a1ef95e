// Recognizers for the other ecosystem's tools.
import type { Recognizer } from './types.js';

export const otherRecognizers: readonly Recognizer[] = [];
