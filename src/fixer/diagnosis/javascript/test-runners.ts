// Test runners other than node --test: jest, vitest, mocha. Each names the failing test, the file
// and a stack frame; the excerpt is the test's name and the assertion message.
import type { RawLocation, Recognition, Recognizer } from '../types.js';
import { addLocation, commandWord, firstUserFrame, linesUntil, MAX_ITEMS, parseLocation } from './shared.js';

const STACK = /^\s+at /;

// jest: "FAIL test/sum.test.js", "  ● sum › adds two numbers", "Tests:       1 failed, 1 total".
const JEST_FAIL = /^FAIL (\S+)/;
const JEST_TITLE = /^\s+● (.+)$/;
const JEST_SUMMARY = /^Tests:\s+(\d+) failed/;
const JEST_SUITES = /^Test Suites:\s+\d+ failed/;

export const jestRecognizer: Recognizer = {
  tool: 'jest',
  commandPattern: commandWord('jest'),
  recognize({ command, lines }): Recognition | null {
    const locations: RawLocation[] = [];
    const excerpt: string[] = [];
    let summary = false;
    let failures = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (JEST_SUMMARY.test(line) || JEST_SUITES.test(line)) summary = true;
      const fail = JEST_FAIL.exec(line);
      if (fail) {
        addLocation(locations, { path: fail[1] as string });
        continue;
      }
      const title = JEST_TITLE.exec(line);
      if (title && failures < MAX_ITEMS) {
        failures++;
        // The message runs until the code frame (a "  3 | ..." line) or the stack.
        if (excerpt.length < 12)
          excerpt.push(
            line.trim(),
            ...linesUntil(lines, i + 1, 5, (l) => /^\s*>?\s*\d+ \|/.test(l) || STACK.test(l)).map((l) => l.trim()),
          );
        addLocation(
          locations,
          firstUserFrame(lines, i, (l) => JEST_TITLE.test(l)),
        );
      }
    }
    if (failures === 0 && !(summary && this.commandPattern!.test(command))) return null;
    // The frame (file:line of the assertion) is more useful than the bare FAIL path: put it first.
    locations.sort((a, b) => Number(b.line !== undefined) - Number(a.line !== undefined));
    return { tool: 'jest', category: 'test', locations, excerpt, confidence: summary ? 0.95 : 0.75 };
  },
};

// vitest: " FAIL  test/sum.test.js > sum > adds two numbers", then the error, then " ❯ test/sum.test.js:6:23".
const VITEST_FAIL = /^\s*FAIL\s+(\S+)(?: > (.+))?$/;
const VITEST_FRAME = /^\s*❯ (.+?:\d+:\d+)\s*$/;
const VITEST_SUMMARY = /^\s*Test Files\s+\d+ failed/;
const VITEST_HEADER = /^\s*⎯+ Failed Tests? \d+ ⎯+/;

export const vitestRecognizer: Recognizer = {
  tool: 'vitest',
  commandPattern: commandWord('vitest'),
  recognize({ command, lines }): Recognition | null {
    const locations: RawLocation[] = [];
    const excerpt: string[] = [];
    let summary = false;
    let inFailures = false;
    let failures = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (VITEST_SUMMARY.test(line)) summary = true;
      if (VITEST_HEADER.test(line)) inFailures = true;
      if (!inFailures) continue;
      const fail = VITEST_FAIL.exec(line);
      if (fail && failures < MAX_ITEMS) {
        failures++;
        if (excerpt.length < 12)
          excerpt.push(
            line.trim(),
            ...linesUntil(lines, i + 1, 2, (l) => l.trim() === '' || VITEST_FRAME.test(l)).map((l) => l.trim()),
          );
        let frame: RawLocation | null = null;
        for (let j = i + 1; j < lines.length && j < i + 60 && frame === null; j++) {
          if (VITEST_FAIL.test(lines[j] as string)) break;
          const match = VITEST_FRAME.exec(lines[j] as string);
          if (match) frame = parseLocation(match[1] as string);
        }
        addLocation(locations, frame);
        addLocation(locations, { path: fail[1] as string });
      }
    }
    if (failures === 0 && !(summary && this.commandPattern!.test(command))) return null;
    return { tool: 'vitest', category: 'test', locations, excerpt, confidence: summary ? 0.95 : 0.75 };
  },
};

// mocha's spec reporter: "  N failing", then "  1) suite", "       test:", the error and its stack.
const MOCHA_FAILING = /^\s+(\d+) failing\s*$/;
const MOCHA_PASSING = /^\s+\d+ passing \(\d+m?s\)/;
const MOCHA_ITEM = /^\s+\d+\) (.+)$/;

export const mochaRecognizer: Recognizer = {
  tool: 'mocha',
  commandPattern: commandWord('mocha'),
  recognize({ lines }): Recognition | null {
    let start = -1;
    let passing = false;
    for (let i = 0; i < lines.length && start < 0; i++) {
      if (MOCHA_PASSING.test(lines[i] as string)) passing = true;
      if (MOCHA_FAILING.test(lines[i] as string) && Number(MOCHA_FAILING.exec(lines[i] as string)?.[1]) > 0) start = i;
    }
    if (start < 0) return null;
    const locations: RawLocation[] = [];
    const excerpt: string[] = [];
    let failures = 0;
    for (let i = start + 1; i < lines.length && failures < MAX_ITEMS; i++) {
      if (!MOCHA_ITEM.test(lines[i] as string)) continue;
      failures++;
      // The title spans lines up to the one ending in ":"; the error follows, then the stack.
      const block = linesUntil(lines, i, 8, (l) => STACK.test(l) || MOCHA_ITEM.test(l)).map((l) => l.trim());
      if (excerpt.length < 12) excerpt.push(...block.slice(0, 6));
      addLocation(
        locations,
        firstUserFrame(lines, i, (l) => MOCHA_ITEM.test(l)),
      );
    }
    return { tool: 'mocha', category: 'test', locations, excerpt, confidence: passing ? 0.9 : 0.8 };
  },
};
