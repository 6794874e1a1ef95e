// Reads the tool outputs stored by scripts/capture-outputs-more.ts (test/fixtures/outputs/).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import type { Diagnosis } from '../../src/task.js';
import type { Failure } from '../../src/fixer/types.js';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/outputs');

export interface CapturedOutput {
  command: string;
  exitCode: number;
  version: string;
  /** "captured" (the real tool ran) or "documented: <where the text comes from>". */
  source: string;
  output: string;
}

export function capturedOutput(tool: string, name: string): CapturedOutput {
  const meta = JSON.parse(readFileSync(path.join(DIR, tool, `${name}.json`), 'utf8')) as Omit<CapturedOutput, 'output'>;
  return { ...meta, output: readFileSync(path.join(DIR, tool, `${name}.txt`), 'utf8') };
}

/** The framework's diagnosis of a stored output, as the pipeline would compute it. */
export function diagnoseCaptured(tool: string, name: string): Diagnosis & { source: string } {
  const out = capturedOutput(tool, name);
  return { ...diagnose({ command: out.command, exitCode: out.exitCode, output: out.output }), source: out.source };
}

/** A stored output as the failure a fixer's detector sees. */
export function capturedFailure(tool: string, name: string): Failure {
  const out = capturedOutput(tool, name);
  return {
    command: out.command,
    exitCode: out.exitCode,
    output: out.output,
    diagnosis: diagnose({ command: out.command, exitCode: out.exitCode, output: out.output }),
  };
}
