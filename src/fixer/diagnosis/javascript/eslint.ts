// ESLint's stylish formatter (the default): a file's path, then "  line:col  error  message  rule"
// lines, then "✖ N problems (E errors, W warnings)".
import type { RawLocation, Recognition, Recognizer } from '../types.js';
import { addLocation, commandWord } from './shared.js';

const PROBLEM = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.*)$/;
const SUMMARY = /^✖ \d+ problems? \((\d+) errors?, (\d+) warnings?\)/;
const FIXABLE = /^\s*\d+ errors? and \d+ warnings? potentially fixable with the/;
// A crash or a bad configuration: "Oops! Something went wrong! :(" and the reason after it.
const CRASH = /^Oops! Something went wrong! :\(/;

export const eslintRecognizer: Recognizer = {
  tool: 'eslint',
  commandPattern: commandWord('eslint'),
  recognize({ command, lines }): Recognition | null {
    const locations: RawLocation[] = [];
    const excerpt: string[] = [];
    let file: string | null = null;
    let errors = 0;
    let summary: string | null = null;
    let fixable: string | null = null;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (CRASH.test(line)) {
        const reason = lines.slice(i, i + 6).filter((l) => l.trim() !== '');
        return { tool: 'eslint', category: 'environment', locations: [], excerpt: reason, confidence: 0.8 };
      }
      const problem = PROBLEM.exec(line);
      if (problem && file !== null) {
        if (problem[3] === 'error') {
          addLocation(locations, { path: file, line: Number(problem[1]), column: Number(problem[2]) });
          if (excerpt.length < 10) {
            if (!excerpt.includes(file)) excerpt.push(file);
            excerpt.push(line);
          }
        }
        continue;
      }
      const total = SUMMARY.exec(line);
      if (total) {
        errors += Number(total[1]);
        summary = line;
        continue;
      }
      if (FIXABLE.test(line)) fixable = line;
      else if (line.trim() === '') file = null;
      // stylish prints each file's path unindented, its problems indented below it.
      else if (!/^\s/.test(line)) file = line.trim();
    }
    if (summary === null) return null;
    if (errors === 0 && !this.commandPattern!.test(command)) return null;
    return { tool: 'eslint', category: 'lint', locations, excerpt: [...excerpt, summary, ...(fixable ? [fixable] : [])], confidence: 0.95 };
  },
};
