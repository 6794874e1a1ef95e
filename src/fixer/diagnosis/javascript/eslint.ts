// ESLint's stylish formatter (the default): a file's path, then "  line:col  error  message  rule"
// lines, then "✖ N problems (E errors, W warnings)". Warnings count only when nothing is an error
// (a run under --max-warnings fails on them: "ESLint found too many warnings (maximum: 0).").
import type { RawLocation, Recognition, Recognizer } from '../types.js';
import { addLocation, commandWord } from './shared.js';

const PROBLEM = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.*)$/;
const SUMMARY = /^✖ \d+ problems? \((\d+) errors?, (\d+) warnings?\)/;
const FIXABLE = /^\s*\d+ errors? and \d+ warnings? potentially fixable with the/;
const TOO_MANY_WARNINGS = /^ESLint found too many warnings \(maximum: \d+\)/;
// A crash or a bad configuration: "Oops! Something went wrong! :(" and the reason after it.
const CRASH = /^Oops! Something went wrong! :\(/;

interface Found {
  locations: RawLocation[];
  excerpt: string[];
}

function note(found: Found, file: string, line: string, problem: RegExpExecArray): void {
  addLocation(found.locations, { path: file, line: Number(problem[1]), column: Number(problem[2]) });
  if (found.excerpt.length >= 10) return;
  if (!found.excerpt.includes(file)) found.excerpt.push(file);
  found.excerpt.push(line);
}

export const eslintRecognizer: Recognizer = {
  tool: 'eslint',
  commandPattern: commandWord('eslint'),
  recognize({ command, lines }): Recognition | null {
    const errors: Found = { locations: [], excerpt: [] };
    const warnings: Found = { locations: [], excerpt: [] };
    let file: string | null = null;
    let errorCount = 0;
    const tail: string[] = [];
    let summary = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (CRASH.test(line)) {
        const reason = lines.slice(i, i + 6).filter((l) => l.trim() !== '');
        return { tool: 'eslint', category: 'environment', locations: [], excerpt: reason, confidence: 0.8 };
      }
      const problem = PROBLEM.exec(line);
      if (problem && file !== null) {
        note(problem[3] === 'error' ? errors : warnings, file, line, problem);
        continue;
      }
      const total = SUMMARY.exec(line);
      if (total) {
        errorCount += Number(total[1]);
        summary = true;
        tail.push(line);
      } else if (FIXABLE.test(line) || TOO_MANY_WARNINGS.test(line)) tail.push(line.trim());
      else if (line.trim() === '') file = null;
      // stylish prints each file's path unindented, its problems indented below it.
      else if (!/^\s/.test(line)) file = line.trim();
    }
    if (!summary) return null;
    const failedOnWarnings = tail.some((l) => TOO_MANY_WARNINGS.test(l));
    if (errorCount === 0 && !failedOnWarnings && !this.commandPattern!.test(command)) return null;
    const shown = errors.locations.length > 0 ? errors : warnings;
    return {
      tool: 'eslint',
      category: 'lint',
      locations: shown.locations,
      excerpt: [...shown.excerpt, ...tail.slice(0, 4)],
      confidence: 0.95,
    };
  },
};
