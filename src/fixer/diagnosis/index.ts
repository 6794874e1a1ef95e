// Diagnosis: from a failing command and its output, which tool failed, why, where.
// First version of the framework: the recognizers of every ecosystem, the best one wins.
import type { Diagnosis } from '../../task.js';
import { goRecognizers } from './go.js';
import { javascriptRecognizers } from './javascript.js';
import { otherRecognizers } from './other.js';
import { pythonRecognizers } from './python.js';
import { rustRecognizers } from './rust.js';
import type { Recognition, Recognizer } from './types.js';

export const RECOGNIZERS: readonly Recognizer[] = [
  ...javascriptRecognizers,
  ...goRecognizers,
  ...pythonRecognizers,
  ...rustRecognizers,
  ...otherRecognizers,
];

const MAX_LINES = 4000;
const MAX_LINE_CHARS = 2000;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

export interface DiagnoseInput {
  command: string;
  exitCode: number;
  output: string;
  /** The failing step of a chained command, when known. */
  step?: { index: number; command: string } | null;
  /** Repository files, for checking the paths the output names. */
  files?: ReadonlySet<string>;
}

export function cleanLines(output: string): string[] {
  const lines = output.replace(ANSI, '').split(/\r?\n|\r/);
  return lines.slice(-MAX_LINES).map((line) => (line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line));
}

export function diagnose(input: DiagnoseInput, recognizers: readonly Recognizer[] = RECOGNIZERS): Diagnosis {
  const lines = cleanLines(input.output);
  const command = input.step?.command ?? input.command;
  let best: Recognition | null = null;
  for (const recognizer of recognizers) {
    let found: Recognition | null = null;
    try {
      found = recognizer.recognize({ command, lines, exitCode: input.exitCode });
    } catch {
      found = null; // a recognizer bug must not fail the task
    }
    if (found && (best === null || found.confidence > best.confidence)) best = found;
  }
  const locations = (best?.locations ?? [])
    .filter((loc) => input.files === undefined || input.files.has(loc.path))
    .slice(0, 20)
    .map((loc) => ({ path: loc.path, line: loc.line ?? null, column: loc.column ?? null }));
  const tool = best?.tool ?? 'unknown';
  const category = best?.category ?? 'unknown';
  const where = locations[0] ? ` in ${locations[0].path}${locations[0].line ? `:${locations[0].line}` : ''}` : '';
  return {
    tool,
    category,
    step: input.step ?? null,
    locations,
    excerpt: (best?.excerpt ?? lines.filter((l) => l.trim() !== '').slice(-10)).slice(0, 15).map((l) => l.slice(0, 300)),
    summary: `${tool === 'unknown' ? 'the command' : tool} failed${where} (${category})`,
  };
}
