// Small, linear helpers the python, rust and "other" recognizers share: one pass over the lines,
// bounded collections, and locations deduplicated in the order the tool printed them.
import type { RawLocation } from './types.js';

/** More than this many locations or excerpt lines are never needed; the framework cuts further. */
const MAX_ITEMS = 50;
/**
 * Longer lines are no tool's diagnostic or summary; skipping them keeps every pattern linear in
 * the output, whatever a line holds (some patterns have two open-ended parts).
 */
const MAX_SCANNED_LINE = 1000;

/** The lines worth matching: recognizers scan these rather than the raw tail. */
export function scanned(lines: readonly string[]): string[] {
  return lines.filter((line) => line.length <= MAX_SCANNED_LINE);
}

export class Findings {
  readonly locations: RawLocation[] = [];
  readonly excerpt: string[] = [];
  private seen = new Set<string>();

  /** Adds a location as printed (a leading "./" dropped), once per path:line. */
  at(path: string, line?: number | string, column?: number | string): void {
    if (this.locations.length >= MAX_ITEMS) return;
    const clean = path.trim().replace(/^\.\//, '');
    if (clean === '') return;
    const loc: RawLocation = { path: clean };
    const l = toInt(line);
    const c = toInt(column);
    if (l !== undefined) loc.line = l;
    if (c !== undefined) loc.column = c;
    const key = `${loc.path}:${loc.line ?? ''}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.locations.push(loc);
  }

  /** Locations with a line first, and a path without a line dropped where a lined one names it. */
  preferLines(): RawLocation[] {
    const lined = new Set(this.locations.filter((l) => l.line !== undefined).map((l) => l.path));
    return [
      ...this.locations.filter((l) => l.line !== undefined),
      ...this.locations.filter((l) => l.line === undefined && !lined.has(l.path)),
    ];
  }

  line(text: string): void {
    if (this.excerpt.length < MAX_ITEMS) this.excerpt.push(text.trimEnd());
  }
}

function toInt(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number.parseInt(value, 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** The last line matching `pattern`, scanning from the end (summaries sit at the tail). */
export function lastMatch(lines: readonly string[], pattern: RegExp): RegExpMatchArray | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = lines[i]!.match(pattern);
    if (m) return m;
  }
  return null;
}

/** Keeps the excerpt's first lines, then the summary line if it is not already there. */
export function withSummary(excerpt: string[], summary: string | undefined, max = 12): string[] {
  const head = excerpt.slice(0, summary === undefined ? max : max - 1);
  if (summary !== undefined && !head.includes(summary.trimEnd())) head.push(summary.trimEnd());
  return head;
}

/** Every line matching `pattern` (groups: path, then line and column if any) as a location and an excerpt line. */
export function collect(
  lines: readonly string[],
  pattern: RegExp,
  quote: (m: RegExpMatchArray) => string = (m) => m.input!,
): Findings {
  const found = new Findings();
  for (const line of lines) {
    const m = line.match(pattern);
    if (!m) continue;
    found.at(m[1]!, m[2], m[3]);
    found.line(quote(m));
  }
  return found;
}
