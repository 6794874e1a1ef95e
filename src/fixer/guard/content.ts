// What changed lines say about a fix, whatever file they are in. Pure.

/**
 * The lines one text adds to and deletes from another, as a multiset difference (the order of
 * lines aside): enough for the guard's counting rules when no diff is at hand (a model's edit).
 */
export function changedLines(before: string, after: string): { added: string[]; deleted: string[] } {
  const counts = new Map<string, number>();
  for (const line of before.split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  const added: string[] = [];
  for (const line of after.split('\n')) {
    const n = counts.get(line) ?? 0;
    if (n > 0) counts.set(line, n - 1);
    else added.push(line);
  }
  const deleted = [...counts].flatMap(([line, n]) => Array<string>(n).fill(line));
  return { added, deleted };
}

/** Markers that skip or narrow tests, by the common runners' spelling. */
const SKIPS: ReadonlyArray<readonly [string, RegExp]> = [
  ['it.skip / describe.skip / test.skip', /\b(?:it|test|describe|context|suite|specify)\.skip\b/],
  ['.only', /\b(?:it|test|describe|context|suite|specify|fixture)\.only\b/],
  ['xit / xdescribe / xtest', /(?:^|[^\w.])(?:xit|xdescribe|xtest|xcontext|xspecify)\s*\(/],
  ['.todo / skip: true', /\b(?:it|test|describe)\.todo\b|\{\s*skip\s*:\s*true\b/],
  ['@pytest.mark.skip / skipif / xfail', /@pytest\.mark\.(?:skip|skipif|xfail)\b|\bpytest\.skip\s*\(/],
  ['unittest skip', /@unittest\.skip|\bself\.skipTest\s*\(/],
  ['t.Skip(', /\bt\.Skip(?:f|Now)?\s*\(/],
  ['#[ignore]', /#\[ignore\b/],
  ['@Disabled / @Ignore', /@(?:Disabled|Ignore)\b/],
];

/** Suppressions of a checker's finding. */
const SUPPRESSIONS: ReadonlyArray<readonly [string, RegExp]> = [
  ['eslint-disable', /eslint-disable/],
  ['@ts-ignore', /@ts-ignore/],
  ['@ts-expect-error', /@ts-expect-error/],
  ['@ts-nocheck', /@ts-nocheck/],
  ['biome-ignore', /biome-ignore/],
  ['prettier-ignore', /prettier-ignore/],
  ['# noqa', /#\s*noqa\b/i],
  ['# type: ignore', /#\s*type:\s*ignore\b/],
  ['# pylint: disable', /#\s*pylint:\s*disable/],
  ['# pragma: no cover', /#\s*pragma:\s*no\s*cover/],
  ['# fmt: off / skip', /#\s*fmt:\s*(?:off|skip)\b/],
  ['#[allow(', /#!?\[allow\s*\(/],
  ['#[rustfmt::skip]', /#!?\[rustfmt::skip\]/],
  ['//nolint', /\/\/\s*nolint\b/],
  ['// @ts-check off / istanbul ignore', /(?:istanbul|c8|v8)\s+ignore/],
];

/** Declarations of one test. */
const TEST_DECLARATIONS = [
  /(?:^|[^\w.])(?:it|test|specify)\s*\(\s*['"`]/,
  /^\s*(?:async\s+)?def\s+test_?\w*\s*\(/,
  /^\s*func\s+(?:Test|Benchmark|Fuzz|Example)\w*\s*\(/,
  /#\[(?:tokio::)?test\b/,
  /^\s*(?:it|test)\s+['"]/,
];

/** Each marker whose occurrences the changed lines add (more added than deleted): its name. */
function addedMarkers(
  markers: ReadonlyArray<readonly [string, RegExp]>,
  added: readonly string[],
  deleted: readonly string[],
): string[] {
  const count = (lines: readonly string[], re: RegExp) => lines.filter((line) => re.test(line)).length;
  return markers.filter(([, re]) => count(added, re) > count(deleted, re)).map(([name]) => name);
}

export function addedSkips(added: readonly string[], deleted: readonly string[]): string[] {
  return addedMarkers(SKIPS, added, deleted);
}

export function addedSuppressions(added: readonly string[], deleted: readonly string[]): string[] {
  return addedMarkers(SUPPRESSIONS, added, deleted);
}

/** How many test declarations the change removes (deleted minus re-added); 0 when none. */
export function deletedTests(added: readonly string[], deleted: readonly string[]): number {
  const count = (lines: readonly string[]) =>
    lines.filter((line) => TEST_DECLARATIONS.some((re) => re.test(line))).length;
  return Math.max(0, count(deleted) - count(added));
}

/**
 * A formatter's kind of change: the same tokens with other whitespace, quotes, trailing commas,
 * semicolons or wrapping parentheses. Compared without those characters, the deleted and the
 * added lines read the same.
 */
export function formatOnly(added: readonly string[], deleted: readonly string[]): boolean {
  const squash = (lines: readonly string[]) => lines.join('').replace(/[\s;,'"`()]/g, '');
  return squash(added) === squash(deleted);
}

/** Same text but for whitespace. */
export function sameButWhitespace(a: string | null, b: string | null): boolean {
  return (a ?? '').replace(/\s+/g, '') === (b ?? '').replace(/\s+/g, '');
}

/**
 * The bodies of a TOML or INI file's sections whose header matches `protect`, keyed by header
 * (repeated `[[test]]` tables joined): what the check's configuration in a shared file is.
 */
export function protectedSections(text: string | null, protect: RegExp): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | null = null;
  for (const line of (text ?? '').split('\n')) {
    const header = /^\s*(\[\[?[^\]]+\]\]?)\s*(?:[#;].*)?$/.exec(line);
    if (header) {
      const name = (header[1] as string).replace(/\s+/g, '');
      current = protect.test(name) ? name : null;
      if (current !== null) sections.set(current, `${sections.get(current) ?? ''}\n--`);
      continue;
    }
    if (current !== null) sections.set(current, `${sections.get(current)}\n${line}`);
  }
  return sections;
}

/** The protected section headers whose content differs between the two texts (whitespace aside). */
export function changedSections(before: string | null, after: string | null, protect: RegExp): string[] {
  const a = protectedSections(before, protect);
  const b = protectedSections(after, protect);
  return [...new Set([...a.keys(), ...b.keys()])].filter(
    (name) => !sameButWhitespace(a.get(name) ?? null, b.get(name) ?? null),
  );
}

export const PYPROJECT_SECTIONS =
  /^\[\[?tool\.(?:pytest|coverage|ruff|black|isort|mypy|pyright|pylint|tox|nox|flake8|pycodestyle|pydocstyle|bandit|poe|hatch\.envs|pdm\.scripts|rye\.scripts|taskipy|unittest)\b/;
export const SETUP_CFG_SECTIONS =
  /^\[(?:tool:pytest|pytest|flake8|mypy|isort|pycodestyle|pydocstyle|pylint|coverage|tox)\b/;
export const CARGO_SECTIONS = /^\[\[?(?:test|bench|lints|workspace\.lints|profile\.test|package\.metadata\.clippy)\b/;

/** tsconfig compiler options that decide how strict the type check is, or what it covers. */
export const TSCONFIG_KEYS =
  /"(?:strict\w*|noImplicit\w*|noUnused\w*|noUnchecked\w*|noFallthrough\w*|noProperty\w*|exactOptional\w*|skipLibCheck|skipDefaultLibCheck|allowUnreachableCode|allowUnusedLabels|checkJs|allowJs|noEmitOnError|useUnknownInCatchVariables|alwaysStrict|isolatedModules|include|exclude|files|extends|references|types|typeRoots)"\s*:/;

/** package.json keys that configure a checking tool. */
export const PACKAGE_TOOL_KEYS = [
  'jest',
  'ava',
  'mocha',
  'c8',
  'nyc',
  'eslintConfig',
  'eslintIgnore',
  'prettier',
  'stylelint',
  'xo',
  'standard',
  'tap',
  'vitest',
  'lint-staged',
];
