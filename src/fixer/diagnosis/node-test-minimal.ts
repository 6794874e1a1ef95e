// A minimal recognizer for Node's built-in test runner (`node --test`, spec reporter): enough for
// a failing test to be diagnosed with its file and assertion. The javascript recognizers
// (src/fixer/diagnosis/javascript.ts) may bring a fuller one; the more confident answer wins.
import type { RawLocation, Recognizer } from './types.js';

const FAIL_COUNT = /^\s*ℹ fail (\d+)\s*$/;
const FAILING_TESTS = /^\s*✖ failing tests:\s*$/;
const TEST_AT = /^\s*test at (.+?):(\d+):(\d+)\s*$/;
const STACK = /^\s*at\s/;
const MAX_EXCERPT = 12;

export const nodeTestMinimalRecognizer: Recognizer = {
  tool: 'node-test',
  commandPattern: /\bnode\s+(?:--?[\w-]+(?:=\S+)?\s+)*--test\b/,
  recognize({ lines }) {
    const failed = lines.some((line) => Number(FAIL_COUNT.exec(line)?.[1] ?? 0) > 0);
    const listStart = lines.findIndex((line) => FAILING_TESTS.test(line));
    if (!failed && listStart < 0) return null;
    const locations: RawLocation[] = [];
    const excerpt: string[] = [];
    for (let i = Math.max(listStart, 0); i < lines.length; i++) {
      const at = TEST_AT.exec(lines[i] as string);
      if (!at) continue;
      locations.push({ path: at[1] as string, line: Number(at[2]), column: Number(at[3]) });
      // The test's name and its error, up to the stack trace.
      for (let j = i; j < lines.length && excerpt.length < MAX_EXCERPT && !STACK.test(lines[j] as string); j++) {
        if ((lines[j] as string).trim() !== '') excerpt.push((lines[j] as string).trimEnd());
      }
    }
    return { tool: 'node-test', category: 'test', locations, excerpt, confidence: listStart >= 0 ? 0.8 : 0.6 };
  },
};
