// What the model may not change, as pure functions. Each refusal goes back to the model as the
// tool's answer (so it can do something else) and into the task log.
import path from 'node:path';

/** A repository-relative path, normalised; or why it is not one. */
export function repoPath(requested: unknown): { path: string } | { refused: string } {
  if (typeof requested !== 'string' || requested.trim() === '') return { refused: 'path must be a non-empty string' };
  if (requested.includes('\0')) return { refused: 'path contains a NUL byte' };
  if (path.posix.isAbsolute(requested)) return { refused: `refused: ${requested} is absolute; paths are relative to the repository root` };
  const normalised = path.posix.normalize(requested).replace(/\/+$/, '');
  if (normalised === '..' || normalised.startsWith('../')) return { refused: `refused: ${requested} is outside the repository` };
  return { path: normalised === '' ? '.' : normalised };
}

export interface ProtectOptions {
  protectTests: boolean;
  /** Test files the diagnosis names (already checked to look like tests). */
  testFiles: ReadonlySet<string>;
}

/** Why `rel` (a real, repository-relative path) must not change, or null when it may. */
export function protectedReason(rel: string, options: ProtectOptions): string | null {
  if (rel === '.git' || rel.startsWith('.git/')) return "the repository's .git directory is not part of a fix";
  if (rel.startsWith('.github/workflows/')) return 'files under .github/workflows/ are never changed by the model fixer';
  if (rel === '.ci-fixer.yml') return '.ci-fixer.yml configures ci-fixer itself and is never changed by the model fixer';
  if (options.protectTests && (isTestPath(rel) || options.testFiles.has(rel))) {
    return `${rel} is a test file, and tests are protected for this failure: fix the code under test, not the test`;
  }
  return null;
}

const TEST_DIRS = new Set(['test', 'tests', '__tests__', 'spec', 'specs', '__snapshots__', '__mocks__', 'testdata', 'e2e']);
const TEST_FILES = [
  /\.(test|spec)\.[cm]?[jt]sx?$/,
  /_test\.go$/,
  /(^|\/)test_[^/]*\.py$/,
  /_test\.py$/,
  /(^|\/)conftest\.py$/,
  /_spec\.rb$/,
  /Tests?\.(java|kt|cs)$/,
  /\.snap$/,
];

/** Test files by the conventions of the common test runners. */
export function isTestPath(rel: string): boolean {
  const parts = rel.split('/');
  if (parts.slice(0, -1).some((dir) => TEST_DIRS.has(dir))) return true;
  return TEST_FILES.some((re) => re.test(rel));
}

const TEST_SOURCE = [
  /\bfrom\s+['"]node:test['"]|\brequire\(\s*['"]node:test['"]\s*\)/,
  /\bfrom\s+['"](vitest|@jest\/globals|mocha|ava|tap)['"]/,
  /^\s*(describe|it|test)\s*\(\s*['"`]/m,
  /^\s*import\s+pytest\b|^\s*def\s+test_\w+\s*\(/m,
  /^\s*import\s+"testing"|\*testing\.T\b/m,
  /#\[(cfg\(test\)|test)\]/,
];

/** A file the diagnosis names counts as a test file when its source is a test's. */
export function looksLikeTestSource(content: string): boolean {
  return TEST_SOURCE.some((re) => re.test(content));
}

/** Where a symlink at `rel` pointing at `target` leads, relative to the repository; null if outside. */
export function symlinkTarget(rel: string, target: string): string | null {
  if (path.posix.isAbsolute(target)) return null;
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(rel), target));
  return joined === '..' || joined.startsWith('../') ? null : joined;
}

/** Same tool, same arguments: the key the repeat guard counts by. */
export function callKey(name: string, args: unknown): string {
  return `${name}:${stableJson(args)}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Stops a model that repeats itself: the same call again while nothing in the tree changed gets a
 * reminder, and the `limit`-th identical call stops the agent.
 */
export class RepeatGuard {
  private counts = new Map<string, number>();
  constructor(private readonly limit = 3) {}

  /** 'ok' | 'repeat' (answer with a reminder) | 'stop'. */
  see(key: string): 'ok' | 'repeat' | 'stop' {
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count >= this.limit) return 'stop';
    return count > 1 ? 'repeat' : 'ok';
  }

  /** The tree changed: earlier calls may now give different answers. */
  progress(): void {
    this.counts.clear();
  }
}
