// Reads the real tools' output captured by scripts/capture-outputs/javascript.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagnose } from '../../src/fixer/diagnosis/index.js';
import type { Failure } from '../../src/fixer/types.js';

const OUTPUTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/outputs');

export interface CapturedOutput {
  command: string;
  exitCode: number;
  output: string;
}

export function captured(tool: string, name: string): CapturedOutput {
  const meta = JSON.parse(readFileSync(path.join(OUTPUTS, tool, `${name}.json`), 'utf8')) as { command: string; exitCode: number };
  return { command: meta.command, exitCode: meta.exitCode, output: readFileSync(path.join(OUTPUTS, tool, `${name}.txt`), 'utf8') };
}

/** The captured run as the fixers see it: with the framework's diagnosis. */
export function capturedFailure(tool: string, name: string, command?: string): Failure {
  const run = captured(tool, name);
  const cmd = command ?? run.command;
  return { command: cmd, exitCode: run.exitCode, output: run.output, diagnosis: diagnose({ command: cmd, exitCode: run.exitCode, output: run.output }) };
}
