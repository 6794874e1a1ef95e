// Helpers the JavaScript recognizers share. Every helper is linear in its input.
import type { RawLocation } from '../types.js';

/** At most this many failures/diagnostics are read per output: the excerpt is a few lines anyway. */
export const MAX_ITEMS = 8;

/** `file:///a/b.js` -> `/a/b.js`; other paths unchanged. */
export function stripFileUrl(path: string): string {
  if (!path.startsWith('file://')) return path;
  try {
    return decodeURIComponent(path.slice('file://'.length));
  } catch {
    return path.slice('file://'.length);
  }
}

// `path:line:col` or `path:line` at the end of a string (a stack frame, a "test at" line).
const PATH_LINE_COL = /([^\s()'"]+?):(\d+)(?::(\d+))?$/;

export function parseLocation(text: string): RawLocation | null {
  const match = PATH_LINE_COL.exec(text.trim());
  if (match === null) return null;
  const path = stripFileUrl(match[1] as string);
  if (path === '' || path.startsWith('node:') || path.includes('/node_modules/') || path.startsWith('internal/'))
    return null;
  return { path, line: Number(match[2]), ...(match[3] === undefined ? {} : { column: Number(match[3]) }) };
}

// `    at fn (file:///x/test.js:9:10)` or `    at file:///x/test.js:9:10`; TAP's stack has no "at".
const FRAME = /^\s*(?:at\s+)?(?:.*?\()?((?:file:\/\/)?[^\s()]+:\d+:\d+)\)?\s*$/;

/** The first stack frame in the project's own code (not node: internals, not node_modules). */
export function userFrame(line: string): RawLocation | null {
  if (line.length > 500) return null;
  const match = FRAME.exec(line);
  return match === null ? null : parseLocation(match[1] as string);
}

/** The first user frame in the "    at ..." lines after `from`, looking no further than `isNext` (the next failure) or 60 lines. */
export function firstUserFrame(
  lines: readonly string[],
  from: number,
  isNext: (line: string) => boolean,
): RawLocation | null {
  for (let j = from + 1; j < lines.length && j < from + 60; j++) {
    const line = lines[j] as string;
    if (isNext(line)) return null;
    const frame = /^\s+at /.test(line) ? userFrame(line) : null;
    if (frame) return frame;
  }
  return null;
}

/** Adds a location unless the same path and line is already there; keeps the list bounded. */
export function addLocation(list: RawLocation[], loc: RawLocation | null): void {
  if (loc === null || list.length >= 20) return;
  if (list.some((l) => l.path === loc.path && l.line === loc.line)) return;
  list.push(loc);
}

/** Lines from `start` up to (not including) the first one `stop` accepts, at most `max`, blank ones dropped. */
export function linesUntil(
  lines: readonly string[],
  start: number,
  max: number,
  stop: (line: string) => boolean,
): string[] {
  const out: string[] = [];
  for (let i = start; i < lines.length && out.length < max; i++) {
    const line = lines[i] as string;
    if (i > start && stop(line)) break;
    if (line.trim() !== '') out.push(line);
  }
  return out;
}

/** A tool name as a word of the command, e.g. /\bprettier\b/, not matching inside paths or other words. */
export function commandWord(...names: string[]): RegExp {
  return new RegExp(`(?:^|[\\s;&|(/'"])(?:${names.join('|')})(?=$|[\\s;&|)'"@])`);
}
