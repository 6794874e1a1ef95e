// What the model may not change, as pure functions. Each refusal goes back to the model as the
// tool's answer (so it can do something else) and into the task log.
import path from 'node:path';

/** A repository-relative path, normalised; or why it is not one. */
export function repoPath(requested: unknown): { path: string } | { refused: string } {
  if (typeof requested !== 'string' || requested.trim() === '') return { refused: 'path must be a non-empty string' };
  if (requested.includes('\0')) return { refused: 'path contains a NUL byte' };
  if (path.posix.isAbsolute(requested))
    return { refused: `refused: ${requested} is absolute; paths are relative to the repository root` };
  const normalised = path.posix.normalize(requested).replace(/\/+$/, '');
  if (normalised === '..' || normalised.startsWith('../'))
    return { refused: `refused: ${requested} is outside the repository` };
  return { path: normalised === '' ? '.' : normalised };
}

export interface ProtectOptions {
  protectTests: boolean;
  /** Test files the diagnosis names (already checked to look like tests). */
  testFiles: ReadonlySet<string>;
  /**
   * Files the diagnosis names that hold code and its tests together (Rust's `#[cfg(test)]`
   * modules), with the text of their tests: the code may change, the tests must stay as they are.
   */
  inlineTests?: ReadonlyMap<string, string>;
}

/** Why `rel` (a real, repository-relative path) must not change, or null when it may. */
export function protectedReason(rel: string, options: ProtectOptions): string | null {
  if (rel === '.git' || rel.startsWith('.git/')) return "the repository's .git directory is not part of a fix";
  if (rel.startsWith('.github/workflows/'))
    return 'files under .github/workflows/ are never changed by the model fixer';
  if (rel === '.ci-fixer.yml')
    return '.ci-fixer.yml configures ci-fixer itself and is never changed by the model fixer';
  if (options.protectTests && (isTestPath(rel) || options.testFiles.has(rel))) {
    return `${rel} is a test file, and tests are protected for this failure: fix the code under test, not the test`;
  }
  return null;
}

const TEST_DIRS = new Set([
  'test',
  'tests',
  '__tests__',
  'spec',
  'specs',
  '__snapshots__',
  '__mocks__',
  'testdata',
  'e2e',
]);
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

const RUST_TEST_ATTR = /#\[(?:cfg\(test\)|test)\]/g;

/**
 * The test code inside a source file that also holds the code under test, or null when it has
 * none: for Rust, every item marked `#[cfg(test)]` or `#[test]`, up to the end of its block (or
 * of its `;` for a `use`). A brace inside a string may end a block early; the guard then covers
 * less of the tests, never more of the code.
 */
export function inlineTestCode(rel: string, content: string): string | null {
  if (!rel.endsWith('.rs')) return null;
  const items: string[] = [];
  RUST_TEST_ATTR.lastIndex = 0;
  for (let m = RUST_TEST_ATTR.exec(content); m !== null; m = RUST_TEST_ATTR.exec(content)) {
    const open = content.indexOf('{', m.index);
    const semicolon = content.indexOf(';', m.index);
    let end = content.length;
    if (semicolon >= 0 && (open < 0 || semicolon < open)) end = semicolon + 1;
    else if (open >= 0) {
      let depth = 0;
      for (let i = open; i < content.length; i++) {
        if (content[i] === '{') depth++;
        else if (content[i] === '}' && --depth === 0) {
          end = i + 1;
          break;
        }
      }
    }
    items.push(content.slice(m.index, end));
    RUST_TEST_ATTR.lastIndex = end;
  }
  return items.length === 0 ? null : items.join('\n');
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
