// Every text colour of the console's stylesheet against the background it is drawn on: at least
// 4.5:1 (WCAG 2.1 AA for normal text). The pairs follow the rules in console.css.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('../../src/console/assets/console.css', import.meta.url), 'utf8');
const vars = Object.fromEntries([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})\s*;/gi)].map((m) => [m[1]!, m[2]!]));

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const PAIRS: Array<[string, string]> = [
  ['fg', 'bg'],
  ['fg', 'panel'],
  ['muted', 'bg'],
  ['muted', 'panel'],
  ['link', 'bg'],
  ['link', 'panel'],
  ['on-primary', 'primary'],
  ['on-danger', 'danger'],
  ['link', 'bg'],
  ['error-fg', 'error-bg'],
  ['ok-fg', 'ok-bg'],
  ['run-fg', 'run-bg'],
  ['wait-fg', 'wait-bg'],
  ['warn-fg', 'warn-bg'],
  ['log-fg', 'log-bg'],
  ['log-err', 'log-bg'],
  ['log-sys', 'log-bg'],
  ['log-num', 'log-bg'],
  ['hunk-fg', 'hunk-bg'],
  ['muted', 'add-bg'],
  ['muted', 'del-bg'],
  ['fg', 'add-bg'],
  ['fg', 'del-bg'],
  ...(['tok-keyword', 'tok-string', 'tok-number', 'tok-comment', 'tok-builtin'] as const).flatMap((t) => [
    [t, 'bg'] as [string, string],
    [t, 'add-bg'] as [string, string],
    [t, 'del-bg'] as [string, string],
  ]),
];

describe('console colours', () => {
  it('define every colour the pairs name', () => {
    for (const [fg, bg] of PAIRS) {
      expect(vars[fg], fg).toMatch(/^#/);
      expect(vars[bg], bg).toMatch(/^#/);
    }
  });

  it.each(PAIRS)('%s on %s reaches 4.5:1', (fg, bg) => {
    expect(contrast(vars[fg]!, vars[bg]!)).toBeGreaterThanOrEqual(4.5);
  });

  it('measures known pairs correctly', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeLessThan(4.5);
  });
});
