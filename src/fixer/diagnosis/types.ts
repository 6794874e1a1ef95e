// The contract between the diagnosis framework (src/fixer/diagnosis/index.ts) and the recognizers
// each ecosystem contributes (src/fixer/diagnosis/<ecosystem>.ts).
import type { DiagnosisTool, FailureCategory } from '../../task.js';

export interface RecognizerInput {
  /** The failing step's command when the pipeline knows it, else the whole command. */
  command: string;
  /**
   * The output tail as lines: ANSI codes stripped, CR/LF normalised, each line cut to a bounded
   * length, and only the last lines kept. Recognizers must stay linear in this input.
   */
  lines: readonly string[];
  exitCode: number;
}

/** A location as the tool printed it; the framework makes it repository-relative and drops paths that don't exist. */
export interface RawLocation {
  path: string;
  line?: number;
  column?: number;
}

export interface Recognition {
  tool: DiagnosisTool;
  category: FailureCategory;
  locations: RawLocation[];
  /** The lines that matter (the framework bounds their number and length). */
  excerpt: string[];
  /**
   * How sure, 0..1: a tool's own summary line ("Found 3 errors") is near 1, a command-name match
   * with no output signature lower. The framework keeps the best.
   */
  confidence: number;
}

export interface Recognizer {
  readonly tool: DiagnosisTool;
  /** Matches the tool's invocation in a command (e.g. /\bgofmt\b/): for idioms that print no error text of their own. */
  readonly commandPattern?: RegExp;
  recognize(input: RecognizerInput): Recognition | null;
}
