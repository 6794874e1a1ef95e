// Formatters and their checks: prettier --check, biome check/ci/format/lint.
import type { FailureCategory } from '../../../task.js';
import type { RawLocation, Recognition, Recognizer } from '../types.js';
import { addLocation, commandWord, MAX_ITEMS } from './shared.js';

// Prettier 3: "[warn] Code style issues found in the above file. Run Prettier with --write to fix."
// (or "in N files"); Prettier 2: "... in the above file(s). Forgot to run Prettier?".
const PRETTIER_SUMMARY = /^\[warn\] Code style issues (?:were )?found in|Forgot to run Prettier\?/;
const PRETTIER_WARN_FILE = /^\[warn\] (\S.*)$/;
// "[error] src/broken.js: SyntaxError: Unexpected token (1:12)"
const PRETTIER_ERROR = /^\[error\] ([^\s:][^:]*): (\w*Error): .*?(?:\((\d+):(\d+)\))?$/;
const PRETTIER_ERROR_SUMMARY = /^Error occurred when checking code style/;
// `prettier --list-different` (-l) prints the unformatted files' names and nothing else; the flag
// is read from the command or from npm's echo of the script it ran ("> prettier -l src").
const PRETTIER_LIST = /\bprettier(?:@\S+)?\s(?:[^|;&\n]*\s)?(?:-l|--list-different)(?=\s|$)/;
const LISTED_FILE = /^(?:\.{0,2}\/)?[^\s:[\]()'"]+\.[A-Za-z0-9]{1,10}$/;

/** The files a --list-different check printed, when it ran with that flag. */
function listedFiles(command: string, lines: readonly string[]): RawLocation[] {
  if (!PRETTIER_LIST.test(command) && !lines.some((l) => l.startsWith('> ') && PRETTIER_LIST.test(l))) return [];
  const files: RawLocation[] = [];
  for (const line of lines) {
    if (LISTED_FILE.test(line.trim()) && files.length < MAX_ITEMS * 2) addLocation(files, { path: line.trim() });
  }
  return files;
}

export const prettierRecognizer: Recognizer = {
  tool: 'prettier',
  commandPattern: commandWord('prettier'),
  recognize({ command, lines }): Recognition | null {
    const unformatted: RawLocation[] = [];
    const excerpt: string[] = [];
    const syntax: RawLocation[] = [];
    let summary = false;
    let errorSummary = false;
    for (const line of lines) {
      if (PRETTIER_SUMMARY.test(line)) {
        summary = true;
        excerpt.push(line);
        continue;
      }
      if (PRETTIER_ERROR_SUMMARY.test(line)) errorSummary = true;
      const warn = PRETTIER_WARN_FILE.exec(line);
      if (warn && unformatted.length < MAX_ITEMS * 2) {
        addLocation(unformatted, { path: warn[1] as string });
        if (excerpt.length < 10) excerpt.push(line);
        continue;
      }
      const error = PRETTIER_ERROR.exec(line);
      if (error && syntax.length < MAX_ITEMS) {
        addLocation(syntax, {
          path: error[1] as string,
          ...(error[3] ? { line: Number(error[3]), column: Number(error[4]) } : {}),
        });
        excerpt.push(line);
      }
    }
    // A file prettier cannot parse is a broken source file, not a formatting problem.
    if (syntax.length > 0)
      return { tool: 'prettier', category: 'build', locations: syntax, excerpt, confidence: errorSummary ? 0.9 : 0.75 };
    if (summary) return { tool: 'prettier', category: 'format', locations: unformatted, excerpt, confidence: 0.95 };
    if (unformatted.length > 0 && this.commandPattern!.test(command))
      return { tool: 'prettier', category: 'format', locations: unformatted, excerpt, confidence: 0.6 };
    const listed = listedFiles(command, lines);
    if (listed.length > 0)
      return {
        tool: 'prettier',
        category: 'format',
        locations: listed,
        excerpt: listed.slice(0, 10).map((l) => l.path),
        confidence: 0.7,
      };
    return null;
  },
};

// A diagnostic's header: "src/a.js:2:38 lint/style/useTemplate  FIXABLE  ━━━" or "src/a.js format ━━━".
// (The run's own footer, "check ━━━", has no path and does not match.)
const BIOME_HEADER = /^(\S+?)(?::(\d+):(\d+))? ((?:lint|format|parse|assist|organizeImports)[\w/]*)(?:\s+FIXABLE)?\s+━/;
// Its first message line carries the severity: × / ✖ error, ! / ⚠ warning, i / ℹ information.
const BIOME_MESSAGE = /^\s+([×✖!⚠iℹ]) (.+)$/;
const BIOME_SUMMARY = /^(?:Checked \d+ files? in|Found \d+ errors?\.|Some errors were emitted while)/;
const BIOME_RUN_FAILED = /^\s+[×✖] Some errors were emitted while (?:running checks|applying fixes)/;

interface BiomeDiagnostic {
  header: string;
  kind: string;
  location: RawLocation;
  message: string | null;
  error: boolean;
}

function biomeDiagnostics(lines: readonly string[]): {
  diagnostics: BiomeDiagnostic[];
  summary: string[];
  failed: boolean;
} {
  const diagnostics: BiomeDiagnostic[] = [];
  const summary: string[] = [];
  let failed = false;
  let current: BiomeDiagnostic | null = null;
  for (const line of lines) {
    const header = BIOME_HEADER.exec(line);
    if (header) {
      const path = header[1] as string;
      current = {
        header: line.replace(/\s*━+\s*$/, ''),
        kind: header[4] as string,
        location: { path, ...(header[2] ? { line: Number(header[2]), column: Number(header[3]) } : {}) },
        message: null,
        error: false,
      };
      if (diagnostics.length < 50) diagnostics.push(current);
      continue;
    }
    if (BIOME_RUN_FAILED.test(line)) failed = true;
    if (BIOME_SUMMARY.test(line.trim()) && summary.length < 4) summary.push(line.trim());
    const message = current?.message === null ? BIOME_MESSAGE.exec(line) : null;
    if (current && message) {
      current.message = line.trim();
      current.error = message[1] === '×' || message[1] === '✖';
    }
  }
  return { diagnostics, summary, failed };
}

export const biomeRecognizer: Recognizer = {
  tool: 'biome',
  commandPattern: commandWord('biome', '@biomejs/biome'),
  recognize({ command, lines }): Recognition | null {
    const { diagnostics, summary, failed } = biomeDiagnostics(lines);
    const errors = diagnostics.filter((d) => d.error);
    if (errors.length === 0 && !failed) return null;
    const shown = (errors.length > 0 ? errors : diagnostics).slice(0, MAX_ITEMS);
    const category: FailureCategory = errors.some((d) => d.kind.startsWith('lint'))
      ? 'lint'
      : errors.some((d) => d.kind === 'parse')
        ? 'build'
        : 'format';
    const locations: RawLocation[] = [];
    for (const d of shown) addLocation(locations, d.location);
    const excerpt = shown.flatMap((d) => (d.message ? [d.header, `  ${d.message}`] : [d.header])).concat(summary);
    const confidence = failed || summary.length > 0 ? 0.95 : this.commandPattern!.test(command) ? 0.8 : 0.6;
    return { tool: 'biome', category, locations, excerpt, confidence };
  },
};
