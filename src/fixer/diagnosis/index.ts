// Diagnosis: from a failing command and its output, which tool failed, why, where. Every
// ecosystem contributes recognizers (src/fixer/diagnosis/<ecosystem>.ts); this framework bounds
// their input, keeps the most confident answer, falls back to the tool the failing step's command
// names, and makes locations repository-relative. It never throws: a diagnosis is a best effort.
import type { Diagnosis, DiagnosisTool } from '../../task.js';
import { splitSteps } from '../steps/split.js';
import { expandScripts, TOOL_CATEGORY, toolFromCommand } from './command-tools.js';
import { generatedRecognizers, treeSummary } from './generated.js';
import { goRecognizers } from './go.js';
import { javascriptRecognizers } from './javascript.js';
import { repositoryLocations } from './locations.js';
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
  ...generatedRecognizers,
];

/** Only the tail is read: tools print their summary last. */
const MAX_INPUT_CHARS = 256 * 1024;
const MAX_LINES = 4000;
const MAX_LINE_CHARS = 2000;
const MAX_EXCERPT_LINES = 15;
const MAX_EXCERPT_CHARS = 300;
/** A recognizer whose tool the failing step's command names is trusted this much more. */
const COMMAND_MATCH_BONUS = 0.25;
/** What an output-less match of the command alone is worth. */
const COMMAND_ONLY_CONFIDENCE = 0.3;
// CSI and OSC sequences, then two-byte escapes (charset selection, keypad modes).
const ANSI =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: it matches terminal escapes on purpose
  /\u001b\[[0-9;?<>=]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[()*+][0-9A-Za-z]|\u001b[@-Z\\-_=>]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: it matches control characters on purpose
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

export interface DiagnoseInput {
  command: string;
  exitCode: number;
  output: string;
  /** The failing step of a chained command, when known. */
  step?: { index: number; command: string } | null;
  /** Repository files, for checking the paths the output names. */
  files?: ReadonlySet<string>;
  /** The checkout's absolute path in the sandbox, for absolute paths in the output. */
  repoRoot?: string;
  /** The folder the failing step ran in, relative to the repository ("packages/web/"): its relative paths start there. */
  cwd?: string;
  /** package.json scripts, to see through `npm run X` to the tool it runs. */
  scripts?: Readonly<Record<string, string>>;
}

/** Pure: the output tail as lines, without colour codes or control characters, each bounded. */
export function cleanLines(output: string): string[] {
  const tail = output.length > MAX_INPUT_CHARS ? output.slice(-MAX_INPUT_CHARS) : output;
  const lines = tail.replace(ANSI, '').split(/\r?\n|\r/);
  return lines
    .slice(-MAX_LINES)
    .map((line) => (line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line).replace(CONTROL, ''));
}

function bestRecognition(
  lines: string[],
  command: string,
  texts: string[],
  exitCode: number,
  recognizers: readonly Recognizer[],
): Recognition | null {
  const named = toolFromCommand(texts, recognizers);
  let best: Recognition | null = null;
  let bestScore = -Infinity;
  for (const recognizer of recognizers) {
    let found: Recognition | null = null;
    try {
      found = recognizer.recognize({ command, lines, exitCode });
    } catch {
      found = null; // a recognizer bug must not fail the task
    }
    if (!found || typeof found.confidence !== 'number' || !Number.isFinite(found.confidence)) continue;
    const score = found.confidence + (named !== null && found.tool === named ? COMMAND_MATCH_BONUS : 0);
    if (score > bestScore) {
      best = found;
      bestScore = score;
    }
  }
  // The command alone competes too (with its bonus): a vague output match loses to a step that
  // plainly runs another tool, a tool's own summary line wins.
  if (named !== null && COMMAND_ONLY_CONFIDENCE + COMMAND_MATCH_BONUS > bestScore) {
    return {
      tool: named,
      category: TOOL_CATEGORY[named],
      locations: [],
      excerpt: [],
      confidence: COMMAND_ONLY_CONFIDENCE,
    };
  }
  return best;
}

/**
 * The excerpt lines, bounded, with the checkout's absolute path made relative: the sandbox's
 * temporary folder means nothing to a reader and takes the room of the message.
 */
function excerptOf(recognized: readonly string[] | undefined, lines: readonly string[], repoRoot?: string): string[] {
  const source =
    Array.isArray(recognized) && recognized.length > 0 ? recognized : lines.filter((l) => l.trim() !== '').slice(-10);
  const root = repoRoot?.replace(/\/+$/, '');
  return source.slice(0, MAX_EXCERPT_LINES).map((line) => {
    let text = String(line).replace(ANSI, '').replace(CONTROL, '');
    if (root) text = text.split(`${root}/`).join('').split(root).join('.');
    return text.slice(0, MAX_EXCERPT_CHARS);
  });
}

function summaryOf(diagnosis: Omit<Diagnosis, 'summary'>): string {
  if (diagnosis.tool === 'git-diff' && diagnosis.category === 'generated') return treeSummary(diagnosis);
  const first = diagnosis.locations[0];
  const where = first ? ` in ${first.path}${first.line ? `:${first.line}` : ''}` : '';
  const step = diagnosis.step?.command.replace(/\s+/g, ' ');
  const who =
    diagnosis.tool !== 'unknown'
      ? diagnosis.tool
      : step
        ? `\`${step.length > 60 ? `${step.slice(0, 57)}...` : step}\``
        : 'the command';
  return `${who} failed${where} (${diagnosis.category})`;
}

/**
 * The command that may name the failing tool: the failing step, or the whole command when it is
 * one step. In a chain whose failing step is unknown, any step could have failed; and a command
 * that passed names no failure.
 */
function namingCommand(input: DiagnoseInput): string | null {
  if (input.exitCode === 0) return null;
  if (input.step) return input.step.command;
  return splitSteps(input.command).length === 1 ? input.command : null;
}

// sh/dash "sh: 1: tflint: not found", bash "bash: line 1: tflint: command not found", zsh
// "zsh: command not found: tflint", and `python -m` of a module that is not installed.
const NOT_FOUND = [
  /^(?:\S*\/)?(?:ba|da|k|z)?sh: (?:line )?(?:\d+: )?([^\s:]{1,100}): (?:command )?not found$/,
  /^(?:\S*\/)?zsh: command not found: (\S{1,100})$/,
  /^(?:\S*\/)?python[\d.]*: No module named ([\w.]{1,100})$/,
];

export interface MissingCommand {
  /** The command or module the shell could not find, e.g. "tflint". */
  name: string;
  /** The output line that says so. */
  line: string;
}

/** Pure: the first command the shell reported missing in these (cleaned) lines, or null. */
export function missingCommand(lines: readonly string[]): MissingCommand | null {
  for (const line of lines) {
    const text = line.trim();
    for (const re of NOT_FOUND) {
      const m = re.exec(text);
      if (m) return { name: m[1]!.split('/').pop()!, line: text };
    }
  }
  return null;
}

/**
 * A missing command decides the diagnosis when the shell said so with its 127, or when nothing
 * recognised the output beyond the command's name (a tool that never ran printed nothing of its own).
 */
function missingCommandOf(lines: readonly string[], exitCode: number, best: Recognition | null): MissingCommand | null {
  const missing = missingCommand(lines);
  if (missing === null) return null;
  return exitCode === 127 || best === null || best.confidence <= COMMAND_ONLY_CONFIDENCE ? missing : null;
}

/** Why the command failed, from its output; `unknown` when no recognizer knows it. Never throws. */
export function diagnose(input: DiagnoseInput, recognizers: readonly Recognizer[] = RECOGNIZERS): Diagnosis {
  const step = input.step ?? null;
  try {
    const lines = cleanLines(typeof input.output === 'string' ? input.output : '');
    const command = step?.command ?? input.command;
    const texts = namingCommand(input) === null ? [] : expandScripts(command, input.scripts);
    const best = bestRecognition(lines, command, texts, input.exitCode, recognizers);
    const tool: DiagnosisTool = best && best.tool in TOOL_CATEGORY ? best.tool : 'unknown';
    const partial = {
      tool,
      category: tool === 'unknown' ? 'unknown' : (best?.category ?? TOOL_CATEGORY[tool]),
      step,
      locations: repositoryLocations(
        Array.isArray(best?.locations) ? best.locations : [],
        input.files,
        input.repoRoot,
        input.cwd,
      ),
      excerpt: excerptOf(best?.excerpt, lines, input.repoRoot),
    } satisfies Omit<Diagnosis, 'summary'>;
    const missing = missingCommandOf(lines, input.exitCode, best);
    if (missing !== null) {
      // A tool the sandbox lacks is the environment's failure, whatever tool the command names.
      const env = {
        ...partial,
        category: 'environment',
        locations: [],
        excerpt: excerptOf([missing.line], lines, input.repoRoot),
      } satisfies Omit<Diagnosis, 'summary'>;
      return { ...env, summary: `${missing.name} not found in the sandbox (environment)` };
    }
    return { ...partial, summary: summaryOf(partial) };
  } catch {
    const fallback = { tool: 'unknown', category: 'unknown', step, locations: [], excerpt: [] } satisfies Omit<
      Diagnosis,
      'summary'
    >;
    return { ...fallback, summary: summaryOf(fallback) };
  }
}
