// Recognizers for the python ecosystem's tools.
import type { Recognizer } from './types.js';

export const pythonRecognizers: readonly Recognizer[] = [];
