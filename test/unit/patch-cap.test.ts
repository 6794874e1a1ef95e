import { describe, expect, it } from 'vitest';
import { capPatch } from '../../src/fixer/patch.js';

const PATCH = 'diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-const a = 1\n+const a = 1;\n';

describe('capPatch', () => {
  it('returns a patch within the limit unchanged', () => {
    expect(capPatch(PATCH, PATCH.length)).toEqual({ patch: PATCH, truncated: false });
    expect(capPatch(Buffer.from(PATCH), 10_000)).toEqual({ patch: PATCH, truncated: false });
  });

  it('cuts after the last whole line that fits and flags it', () => {
    const limit = PATCH.indexOf('@@') + 3;
    const { patch, truncated } = capPatch(PATCH, limit);
    expect(truncated).toBe(true);
    expect(patch).toBe('diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n');
    expect(Buffer.byteLength(patch)).toBeLessThanOrEqual(limit);
  });

  it('counts bytes, not characters, and never splits a character', () => {
    const line = `+${'€'.repeat(10)}`; // 31 bytes, no newline
    const { patch, truncated } = capPatch(line, 8);
    expect(truncated).toBe(true);
    expect(patch).toBe('+€€');
    expect(Buffer.byteLength(patch)).toBeLessThanOrEqual(8);
  });
});
