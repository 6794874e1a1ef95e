// Did a fixer's change make things better? Judged by re-running from the failing step.
//
// Progress means one of:
// - passed: the re-run passed (the failing step and every step after it);
// - later: the failing step passes now and a later step fails;
// - different: the same step fails, but with another tool than before (the earlier tool's failure
//   is gone: e.g. `npm run lint` moved on from eslint to prettier);
// - fewer: the same step fails with the same tool at fewer locations, none of them new files.
// Anything else (the same failure, an earlier step failing, problems in new files) is no better,
// and the fixer's change is reverted.
import type { Failure } from '../types.js';

export type Verdict =
  | { progress: true; kind: 'passed' | 'later' | 'different' | 'fewer' }
  | { progress: false; kind: 'same' | 'earlier' | 'not_fewer' };

function stepIndex(failure: Failure): number | null {
  return failure.diagnosis.step?.index ?? null;
}

/** Pure: the verdict on a fixer, from the failure before it and the re-run after it (null: passed). */
export function judge(before: Failure, after: Failure | null): Verdict {
  if (after === null) return { progress: true, kind: 'passed' };
  const was = stepIndex(before);
  const now = stepIndex(after);
  if (was !== null && now !== null && now > was) return { progress: true, kind: 'later' };
  if (was !== null && now !== null && now < was) return { progress: false, kind: 'earlier' };
  const a = before.diagnosis;
  const b = after.diagnosis;
  if (a.tool !== b.tool) return { progress: true, kind: 'different' };
  if (signature(before) === signature(after)) return { progress: false, kind: 'same' };
  const paths = new Set(a.locations.map((l) => l.path));
  const fewer = b.locations.length < a.locations.length && b.locations.every((l) => paths.has(l.path));
  return fewer ? { progress: true, kind: 'fewer' } : { progress: false, kind: 'not_fewer' };
}

/** Pure: what identifies a failure across runs (line numbers move when a fixer edits, so paths only). */
export function signature(failure: Failure): string {
  const d = failure.diagnosis;
  const paths = [...new Set(d.locations.map((l) => l.path))].sort().join(',');
  const detail = d.tool === 'unknown' ? d.excerpt.slice(-3).join('\n') : `${d.locations.length}`;
  return [stepIndex(failure) ?? '-', d.tool, d.category, failure.exitCode, paths, detail].join('|');
}
