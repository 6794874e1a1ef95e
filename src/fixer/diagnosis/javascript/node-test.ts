// node --test (Node 22 and 24): the spec reporter (a terminal's default) and TAP (the default when
// stdout is a pipe, as in CI). Both name the failing test's file:line; the excerpt is the test's
// name and its error message, without the stack.
import type { RawLocation, Recognition, Recognizer, RecognizerInput } from '../types.js';
import { addLocation, firstUserFrame, linesUntil, MAX_ITEMS, parseLocation, userFrame } from './shared.js';

const SPEC_FAILING = /^✖ failing tests:\s*$/;
const SPEC_TEST_AT = /^test at (.+)$/;
const SPEC_FAIL_COUNT = /^ℹ fail (\d+)\s*$/;
const TAP_NOT_OK = /^(\s*)not ok \d+ - (.*)$/;
const TAP_LOCATION = /^\s*location: '(.+)'\s*$/;
const TAP_FAIL_COUNT = /^# fail (\d+)\s*$/;
const TAP_KEY = /^\s*[a-zA-Z]+:/;
// Node's TAP names every test in a "# Subtest:" comment; other TAP producers don't.
const TAP_SUBTEST = /^\s*# Subtest: /;

function recognizeSpec(lines: readonly string[], start: number): { locations: RawLocation[]; excerpt: string[] } {
  const locations: RawLocation[] = [];
  const excerpt: string[] = [];
  let failures = 0;
  for (let i = start; i < lines.length && failures < MAX_ITEMS; i++) {
    const at = SPEC_TEST_AT.exec(lines[i] as string);
    if (at === null) continue;
    failures++;
    const declared = parseLocation(at[1] as string);
    // The failing assertion's frame (in the test file) comes first, the test's declaration next.
    addLocation(
      locations,
      firstUserFrame(lines, i, (l) => SPEC_TEST_AT.test(l)),
    );
    addLocation(locations, declared);
    if (excerpt.length < 12) {
      excerpt.push(
        lines[i] as string,
        ...linesUntil(lines, i + 1, 5, (l) => /^\s+at /.test(l) || SPEC_TEST_AT.test(l)),
      );
    }
  }
  return { locations, excerpt };
}

function recognizeTap(lines: readonly string[]): { locations: RawLocation[]; excerpt: string[]; failures: number } {
  const locations: RawLocation[] = [];
  const excerpt: string[] = [];
  let failures = 0;
  for (let i = 0; i < lines.length && failures < MAX_ITEMS; i++) {
    const notOk = TAP_NOT_OK.exec(lines[i] as string);
    if (notOk === null) continue;
    // Read this test's YAML block ("  ---" ... "  ...").
    let location: RawLocation | null = null;
    let frame: RawLocation | null = null;
    let suite = false;
    const error: string[] = [];
    let j = i + 1;
    for (; j < lines.length && j < i + 200; j++) {
      const line = lines[j] as string;
      if (/^\s*\.\.\.\s*$/.test(line) || TAP_NOT_OK.test(line)) break;
      const loc = TAP_LOCATION.exec(line);
      if (loc) location = parseLocation(loc[1] as string);
      if (/^\s*failureType: 'subtestsFailed'/.test(line)) suite = true;
      if (/^\s*error: /.test(line)) error.push(...linesUntil(lines, j, 4, (l) => TAP_KEY.test(l)).map((l) => l.trim()));
      if (/^\s*stack: /.test(line)) {
        for (let k = j + 1; k < lines.length && k < j + 20 && frame === null; k++)
          frame = userFrame(lines[k] as string);
      }
    }
    // A suite fails because its tests did; they are reported on their own.
    if (suite) continue;
    failures++;
    addLocation(locations, frame);
    addLocation(locations, location);
    if (excerpt.length < 12) excerpt.push((lines[i] as string).trim(), ...error.filter((l) => l !== 'error: |-'));
  }
  return { locations, excerpt, failures };
}

export const nodeTestRecognizer: Recognizer = {
  tool: 'node-test',
  commandPattern: /\bnode\b(?:\s+[^\s;&|]+)*?\s--test\b/,
  recognize({ command, lines }: RecognizerInput): Recognition | null {
    let specStart = -1;
    let failCount = 0;
    let notOk = false;
    let subtest = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (specStart < 0 && SPEC_FAILING.test(line)) specStart = i;
      const count = SPEC_FAIL_COUNT.exec(line) ?? TAP_FAIL_COUNT.exec(line);
      if (count) failCount = Math.max(failCount, Number(count[1]));
      if (!notOk && TAP_NOT_OK.test(line)) notOk = true;
      if (!subtest && TAP_SUBTEST.test(line)) subtest = true;
    }
    const byCommand = this.commandPattern?.test(command) ?? false;
    if (specStart >= 0) {
      const { locations, excerpt } = recognizeSpec(lines, specStart);
      return { tool: 'node-test', category: 'test', locations, excerpt, confidence: failCount > 0 ? 0.95 : 0.85 };
    }
    if (notOk && (subtest || byCommand)) {
      const { locations, excerpt, failures } = recognizeTap(lines);
      if (failures === 0 && !byCommand) return null;
      return { tool: 'node-test', category: 'test', locations, excerpt, confidence: failCount > 0 ? 0.9 : 0.7 };
    }
    return null;
  },
};
