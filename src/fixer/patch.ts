import type { PatchStats } from '../task.js';
import { utf8Boundary } from '../sandbox/line-splitter.js';

/**
 * Pure: caps a patch at `maxBytes` of UTF-8, cutting after the last whole line that fits (or at a
 * character boundary when a single line is longer), so what is kept is still readable text.
 */
export function capPatch(patch: Buffer | string, maxBytes: number): { patch: string; truncated: boolean } {
  const bytes = typeof patch === 'string' ? Buffer.from(patch, 'utf8') : patch;
  if (bytes.length <= maxBytes) return { patch: bytes.toString('utf8'), truncated: false };
  const head = bytes.subarray(0, Math.max(0, maxBytes));
  const lastNewline = head.lastIndexOf(0x0a);
  const cut = lastNewline >= 0 ? lastNewline + 1 : utf8Boundary(head);
  return { patch: head.subarray(0, cut).toString('utf8'), truncated: true };
}

/** Pure: `git diff --shortstat` ("2 files changed, 5 insertions(+), 1 deletion(-)") as numbers; zeros when empty. */
export function parseShortstat(text: string): PatchStats {
  const count = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  return {
    files: count(/(\d+) files? changed/),
    added: count(/(\d+) insertions?\(\+\)/),
    removed: count(/(\d+) deletions?\(-\)/),
  };
}
