import { describe, expect, it } from 'vitest';
import {
  callKey,
  inlineTestCode,
  isTestPath,
  looksLikeTestSource,
  protectedReason,
  RepeatGuard,
  repoPath,
  symlinkTarget,
} from '../../src/fixer/agent/guardrails.js';

const open = { protectTests: false, testFiles: new Set<string>() };
const guarded = { protectTests: true, testFiles: new Set(['checks/sum-check.js']) };

describe('model fixer guardrails', () => {
  it('normalises repository paths and refuses absolute ones, escapes and NUL bytes', () => {
    expect(repoPath('src/./a/../sum.js')).toEqual({ path: 'src/sum.js' });
    expect(repoPath('./')).toEqual({ path: '.' });
    expect(repoPath('/etc/passwd')).toEqual({
      refused: 'refused: /etc/passwd is absolute; paths are relative to the repository root',
    });
    expect(repoPath('src/../../x')).toEqual({ refused: 'refused: src/../../x is outside the repository' });
    expect(repoPath('a\0b')).toEqual({ refused: 'path contains a NUL byte' });
    expect(repoPath(42)).toEqual({ refused: 'path must be a non-empty string' });
  });

  it('protects workflows, .git and .ci-fixer.yml always, and test files only under protect-tests', () => {
    expect(protectedReason('.github/workflows/ci.yml', open)).toMatch(/workflows/);
    expect(protectedReason('.git/hooks/pre-commit', open)).toMatch(/\.git directory/);
    expect(protectedReason('.ci-fixer.yml', open)).toMatch(/configures ci-fixer/);
    expect(protectedReason('.github/dependabot.yml', open)).toBeNull();
    expect(protectedReason('test/sum.test.js', open)).toBeNull();
    expect(protectedReason('test/sum.test.js', guarded)).toMatch(/is a test file/);
    expect(protectedReason('checks/sum-check.js', guarded)).toMatch(/is a test file/);
    expect(protectedReason('src/sum.js', guarded)).toBeNull();
  });

  it('knows test files by the conventions of the common runners', () => {
    for (const p of [
      'test/a.js',
      'src/__tests__/a.ts',
      'a.test.ts',
      'lib/a.spec.mjs',
      'pkg/a_test.go',
      'tests/test_a.py',
      'a_test.py',
      'conftest.py',
      'spec/a_spec.rb',
      'src/FooTest.java',
      '__snapshots__/a.snap',
    ]) {
      expect(isTestPath(p), p).toBe(true);
    }
    for (const p of ['src/sum.js', 'testing.md', 'src/contest.py', 'latest/a.js', 'go.mod'])
      expect(isTestPath(p), p).toBe(false);
  });

  it('recognises test sources of node:test, vitest, jest, pytest, go and rust', () => {
    expect(looksLikeTestSource("import { test } from 'node:test';")).toBe(true);
    expect(looksLikeTestSource("import { it } from 'vitest';")).toBe(true);
    expect(looksLikeTestSource("describe('x', () => {});")).toBe(true);
    expect(looksLikeTestSource('import pytest\n')).toBe(true);
    expect(looksLikeTestSource('func TestX(t *testing.T) {}')).toBe(true);
    expect(looksLikeTestSource('#[test]\nfn x() {}')).toBe(true);
    expect(looksLikeTestSource('export function sum(a, b) { return a + b; }')).toBe(false);
  });

  it('resolves symlink targets and refuses those that leave the repository', () => {
    expect(symlinkTarget('docs/link', '../README.md')).toBe('README.md');
    expect(symlinkTarget('link', '/etc/passwd')).toBeNull();
    expect(symlinkTarget('a/link', '../../x')).toBeNull();
  });

  it('counts identical calls regardless of key order, and forgets them after progress', () => {
    expect(callKey('read_file', { path: 'a', start_line: 1 })).toBe(callKey('read_file', { start_line: 1, path: 'a' }));
    const guard = new RepeatGuard(3);
    expect(guard.see('k')).toBe('ok');
    expect(guard.see('k')).toBe('repeat');
    guard.progress();
    expect(guard.see('k')).toBe('ok');
    expect(guard.see('k')).toBe('repeat');
    expect(guard.see('k')).toBe('stop');
  });
});

describe('inline tests (Rust keeps them beside the code)', () => {
  const LIB = [
    'pub fn add(a: i32, b: i32) -> i32 {',
    '    a * b',
    '}',
    '',
    '#[cfg(test)]',
    'mod tests {',
    '    use super::*;',
    '    #[test]',
    '    fn adds() {',
    '        assert_eq!(add(2, 3), 5);',
    '    }',
    '}',
    '',
  ].join('\n');

  it('finds the #[cfg(test)] module whole, braces nested', () => {
    const tests = inlineTestCode('src/lib.rs', LIB);
    expect(tests).toContain('mod tests {');
    expect(tests).toContain('assert_eq!(add(2, 3), 5);');
    expect(tests).not.toContain('a * b');
    expect(tests?.trimEnd().endsWith('}')).toBe(true);
  });

  it('sees a fix of the code as leaving the tests alone, and an edit of an assertion as touching them', () => {
    const tests = inlineTestCode('src/lib.rs', LIB);
    expect(inlineTestCode('src/lib.rs', LIB.replace('    a * b', '    a + b'))).toBe(tests);
    expect(inlineTestCode('src/lib.rs', LIB.replace('add(2, 3), 5', 'add(2, 3), 6'))).not.toBe(tests);
    expect(inlineTestCode('src/lib.rs', LIB.replace(/#\[cfg\(test\)\][\s\S]*$/, ''))).toBeNull();
  });

  it('ends a `#[cfg(test)] use …;` at its semicolon, and knows only Rust files', () => {
    expect(inlineTestCode('src/a.rs', '#[cfg(test)]\nuse std::fmt;\npub fn code() {}\n')).toBe(
      '#[cfg(test)]\nuse std::fmt;',
    );
    expect(inlineTestCode('src/a.js', LIB)).toBeNull();
  });
});
