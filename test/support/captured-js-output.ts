// Reads the real tools' output captured by scripts/capture-outputs/javascript.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanLines, diagnose } from '../../src/fixer/diagnosis/index.js';
import { javascriptRecognizers } from '../../src/fixer/diagnosis/javascript.js';
import type { Recognition } from '../../src/fixer/diagnosis/types.js';
import type { Failure } from '../../src/fixer/types.js';

const OUTPUTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/outputs');

export interface CapturedOutput {
  command: string;
  exitCode: number;
  output: string;
}

export function captured(tool: string, name: string): CapturedOutput {
  const meta = JSON.parse(readFileSync(path.join(OUTPUTS, tool, `${name}.json`), 'utf8')) as {
    command: string;
    exitCode: number;
  };
  return {
    command: meta.command,
    exitCode: meta.exitCode,
    output: readFileSync(path.join(OUTPUTS, tool, `${name}.txt`), 'utf8'),
  };
}

/**
 * The most confident JavaScript recognition of some output, with locations as the tool printed
 * them (the framework makes them repository-relative; these tests are about the recognizers).
 */
export function recognizeOutput(command: string, output: string, exitCode = 1): Recognition | null {
  const lines = cleanLines(output);
  let best: Recognition | null = null;
  for (const recognizer of javascriptRecognizers) {
    const found = recognizer.recognize({ command, lines, exitCode });
    if (found && (best === null || found.confidence > best.confidence)) best = found;
  }
  return best;
}

export function recognizeCaptured(tool: string, name: string, command?: string): Recognition | null {
  const c = captured(tool, name);
  return recognizeOutput(command ?? c.command, c.output, c.exitCode);
}

/** The captured run as the fixers see it: with the framework's diagnosis. */
export function capturedFailure(tool: string, name: string, command?: string): Failure {
  const run = captured(tool, name);
  const cmd = command ?? run.command;
  return {
    command: cmd,
    exitCode: run.exitCode,
    output: run.output,
    diagnosis: diagnose({ command: cmd, exitCode: run.exitCode, output: run.output }),
  };
}
