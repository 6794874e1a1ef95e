// Splits a CI command into its top-level steps (`a && b && c`, `a; b`, or several lines), so the
// pipeline can tell which step failed and re-run only that one (the scanning is in scanner.ts).
// Anything it cannot parse with certainty stays one step: a wrong split would change what the
// command does, one step never does.
import { scanSegments, Unparsable, type Segment, type Separator } from './scanner.js';

export type { Separator } from './scanner.js';

export interface Step {
  index: number;
  /** The step's own text, without its separator. */
  command: string;
  /** What joins it to the next step ('' for the last). */
  separator: Separator;
}

/** The step without surrounding blanks or a dangling line continuation (which would swallow what follows it). */
function trimStep(text: string): string {
  let trimmed = text.trim();
  while (((/\\+$/.exec(trimmed)?.[0].length ?? 0) & 1) === 1) trimmed = trimmed.slice(0, -1).trimEnd();
  return trimmed;
}

/**
 * Pure: the command's top-level steps. An and-or list that contains `||` stays one step (its
 * parts don't fail independently), and so does anything the scanner cannot parse.
 */
export function splitSteps(command: string): Step[] {
  let segments: Segment[];
  try {
    segments = scanSegments(command);
  } catch (error) {
    if (error instanceof Unparsable) return [{ index: 0, command: trimStep(command), separator: '' }];
    throw error;
  }
  const merged: Array<{ command: string; separator: Separator }> = [];
  let group: Segment[] = [];
  const flush = () => {
    if (group.length === 0) return;
    const last = group[group.length - 1] as Segment;
    if (last.hasOr && group.length > 1) {
      merged.push({ command: command.slice((group[0] as Segment).start, last.end), separator: last.separator });
    } else {
      for (const seg of group) merged.push({ command: command.slice(seg.start, seg.end), separator: seg.separator });
    }
    group = [];
  };
  for (const segment of segments) {
    group.push(segment);
    if (segment.separator !== '&&') flush();
  }
  flush();
  const steps: Step[] = [];
  for (const { command: text, separator } of merged) {
    const trimmed = trimStep(text);
    if (trimmed === '' || (/^#/.test(trimmed) && !trimmed.includes('\n'))) {
      // An empty or comment-only segment: the previous step keeps its own separator.
      continue;
    }
    steps.push({ index: steps.length, command: trimmed, separator });
  }
  if (steps.length > 0) (steps[steps.length - 1] as Step).separator = '';
  return steps.length > 0 ? steps : [{ index: 0, command: trimStep(command), separator: '' }];
}
