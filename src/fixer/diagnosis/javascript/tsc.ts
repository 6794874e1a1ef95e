// The TypeScript compiler (tsc, and TypeScript 7's native one): "file(line,col): error TSnnnn: ..."
// without --pretty (the default when not on a terminal), "file:line:col - error TSnnnn: ..." with it.
import type { RawLocation, Recognition, Recognizer } from '../types.js';
import { addLocation, commandWord, MAX_ITEMS } from './shared.js';

const PLAIN = /^(.+?)\((\d+),(\d+)\): error (TS\d+): /;
const PRETTY = /^(.+?):(\d+):(\d+) - error (TS\d+): /;
// Errors with no file: a bad tsconfig, a missing input.
const GLOBAL = /^error (TS\d+): /;
const SUMMARY = /^Found \d+ errors?\b/;

export const tscRecognizer: Recognizer = {
  tool: 'tsc',
  commandPattern: commandWord('tsc', 'tsgo', 'vue-tsc'),
  recognize({ command, lines }): Recognition | null {
    const locations: RawLocation[] = [];
    const excerpt: string[] = [];
    let errors = 0;
    let global = 0;
    let summary: string | null = null;
    for (const line of lines) {
      if (!line.includes('error TS') && !line.startsWith('Found ')) continue;
      const match = PLAIN.exec(line) ?? PRETTY.exec(line);
      if (match) {
        errors++;
        addLocation(locations, { path: match[1] as string, line: Number(match[2]), column: Number(match[3]) });
        if (excerpt.length < MAX_ITEMS) excerpt.push(line);
      } else if (GLOBAL.test(line)) {
        global++;
        if (excerpt.length < MAX_ITEMS) excerpt.push(line);
      } else if (SUMMARY.test(line)) summary = line;
    }
    if (errors === 0 && global === 0) return null;
    const confidence = summary !== null || this.commandPattern!.test(command) ? 0.9 : 0.8;
    return {
      tool: 'tsc',
      category: errors > 0 ? 'type' : 'build',
      locations,
      excerpt: summary ? [...excerpt, summary] : excerpt,
      confidence,
    };
  },
};
