// The diagnosis framework around the recognizers: the most confident answer wins, the failing
// step's command (through package.json scripts) names the tool when the output does not, paths
// become repository-relative and checked, and garbage of any size gives `unknown` without a throw.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandScripts } from '../../src/fixer/diagnosis/command-tools.js';
import { cleanLines, diagnose, RECOGNIZERS } from '../../src/fixer/diagnosis/index.js';
import { normalisePath, repositoryLocations } from '../../src/fixer/diagnosis/locations.js';
import type { Recognizer } from '../../src/fixer/diagnosis/types.js';

// Recognizers written for these tests (the real ones live in src/fixer/diagnosis/<ecosystem>.ts).
const eslintLike: Recognizer = {
  tool: 'eslint',
  commandPattern: /\beslint\b/,
  recognize: ({ lines }) => {
    const at = lines.findIndex((l) => /^\S.*\.js$/.test(l));
    const loc = lines.map((l) => /^\s+(\d+):(\d+)\s+error/.exec(l)).find((m) => m !== null);
    if (at < 0 || !loc) return null;
    return {
      tool: 'eslint',
      category: 'lint',
      locations: [{ path: lines[at] as string, line: Number(loc[1]), column: Number(loc[2]) }],
      excerpt: lines.slice(at, at + 2),
      confidence: 0.9,
    };
  },
};
const gofmtLike: Recognizer = { tool: 'gofmt', commandPattern: /\bgofmt\b/, recognize: () => null };
const vague: Recognizer = {
  tool: 'mocha',
  recognize: ({ lines }) =>
    lines.some((l) => l.includes('error'))
      ? { tool: 'mocha', category: 'test', locations: [], excerpt: ['error'], confidence: 0.5 }
      : null,
};
const throwing: Recognizer = {
  tool: 'jest',
  recognize: () => {
    throw new Error('recognizer bug');
  },
};
const recognizers = [throwing, vague, eslintLike, gofmtLike];
const files = new Set(['lib/option.js', 'web/src/app.js', 'README.md']);
const ESLINT_OUTPUT =
  '\u001b[4m/tmp/sbx-1/repo/lib/option.js\u001b[24m\r\n  12:5  error  Unexpected var  no-var\r\n\r\n✖ 1 problem';

describe('diagnose', () => {
  it('keeps the most confident recognition, with repository-relative locations and a summary', () => {
    const d = diagnose(
      { command: 'npx eslint .', exitCode: 1, output: ESLINT_OUTPUT, files, repoRoot: '/tmp/sbx-1/repo' },
      recognizers,
    );
    expect(d).toMatchObject({
      tool: 'eslint',
      category: 'lint',
      step: null,
      locations: [{ path: 'lib/option.js', line: 12, column: 5 }],
    });
    expect(d.summary).toBe('eslint failed in lib/option.js:12 (lint)');
    // The sandbox's checkout path means nothing to a reader: the excerpt names the repository's file.
    expect(d.excerpt).toEqual(['lib/option.js', '  12:5  error  Unexpected var  no-var']);
  });

  it('reads paths a step printed after its cd relative to that folder first', () => {
    const monorepo = new Set(['package.json', 'packages/web/package.json', 'packages/web/src/app.js']);
    const raw = [{ path: 'package.json' }, { path: 'src/app.js' }];
    expect(repositoryLocations(raw, monorepo, '/tmp/sbx-1/repo', 'packages/web/').map((l) => l.path)).toEqual([
      'packages/web/package.json',
      'packages/web/src/app.js',
    ]);
    expect(repositoryLocations(raw, monorepo, '/tmp/sbx-1/repo').map((l) => l.path)).toEqual([
      'package.json',
      'packages/web/src/app.js',
    ]);
  });

  // Captured from the local sandbox: `ruff check .` and `tflint` on a machine without them, and
  // `python3 -m pytest` without pytest installed.
  it('diagnoses a command the shell could not find as the environment, whatever tool the step names', () => {
    const cases = [
      { command: 'ruff check .', exitCode: 127, output: 'sh: 1: ruff: not found\n', name: 'ruff' },
      {
        command: 'tflint',
        exitCode: 127,
        output: '│ Warning: Unable to open CLI configuration file\n╵\n\nsh: 2: tflint: not found\n',
        name: 'tflint',
      },
      {
        command: 'npm run lint',
        exitCode: 127,
        output: '> lint\n> eslint .\n\nbash: line 1: eslint: command not found\n',
        name: 'eslint',
      },
      {
        command: 'python3 -m pytest -q',
        exitCode: 1,
        output: '/root/.pyenv/versions/3.11.7/bin/python3: No module named pytest\n',
        name: 'pytest',
      },
    ];
    for (const c of cases) {
      const d = diagnose({
        command: c.command,
        exitCode: c.exitCode,
        output: c.output,
        step: { index: 0, command: c.command },
      });
      expect(d.category, c.command).toBe('environment');
      expect(d.summary).toBe(`${c.name} not found in the sandbox (environment)`);
      expect(d.excerpt).toHaveLength(1);
    }
    // A test whose own output mentions a missing command is still the test's failure.
    const d = diagnose({
      command: 'pytest -q',
      exitCode: 1,
      output: 'E   sh: 1: foo: not found\nFAILED tests/test_a.py::test_a - assert 1 == 2\n1 failed in 0.03s\n',
    });
    expect(d.category).toBe('test');
  });

  it('names the tool from the failing step when the output says nothing, also through package.json scripts', () => {
    const step = { index: 1, command: 'test -z "$(gofmt -l .)"' };
    const d = diagnose({ command: `go vet ./... && ${step.command}`, exitCode: 1, output: '', step }, recognizers);
    expect(d).toMatchObject({ tool: 'gofmt', category: 'format', step, locations: [] });
    expect(d.summary).toBe('gofmt failed (format)');
    const scripts = { lint: 'npm run lint:go', 'lint:go': 'test -z "$(gofmt -l .)"', test: 'node --test' };
    expect(
      diagnose(
        { command: 'npm run lint', exitCode: 1, output: 'npm error Lifecycle script failed', scripts },
        recognizers,
      ).tool,
    ).toBe('gofmt');
    expect(expandScripts('yarn lint', scripts)).toEqual(['test -z "$(gofmt -l .)"', 'npm run lint:go', 'yarn lint']);
    expect(expandScripts('npm t', scripts)).toEqual(['node --test', 'npm t']);
  });

  it('names no tool from a chain whose failing step is unknown, or from a command that passed', () => {
    const chain = 'test -z "$(gofmt -l .)" && ./check.sh';
    expect(
      diagnose({ command: chain, exitCode: 1, output: 'check.sh: licence header missing' }, recognizers).tool,
    ).toBe('unknown');
    expect(
      diagnose(
        { command: chain, exitCode: 1, output: '', step: { index: 0, command: 'test -z "$(gofmt -l .)"' } },
        recognizers,
      ).tool,
    ).toBe('gofmt');
    expect(diagnose({ command: 'gofmt -l .', exitCode: 0, output: 'main.go' }, recognizers).tool).toBe('unknown');
  });

  it('prefers the recognizer whose tool the failing step runs', () => {
    const both = `${ESLINT_OUTPUT}\nerror in a test`;
    const vagueButNamed: Recognizer = {
      ...vague,
      commandPattern: /\bmocha\b/,
      recognize: (i) => ({ ...vague.recognize(i)!, confidence: 0.7 }),
    };
    const d = diagnose({ command: 'npx mocha', exitCode: 1, output: both }, [eslintLike, vagueButNamed]);
    expect(d.tool).toBe('mocha');
  });

  it('says unknown and names the step when nothing recognises the failure', () => {
    const d = diagnose(
      {
        command: 'make all',
        exitCode: 2,
        output: 'make: *** [all] Error 2\n',
        step: { index: 0, command: 'make all' },
      },
      recognizers,
    );
    expect(d).toMatchObject({
      tool: 'unknown',
      category: 'unknown',
      locations: [],
      excerpt: ['make: *** [all] Error 2'],
    });
    expect(d.summary).toBe('`make all` failed (unknown)');
  });

  it('gives unknown, without throwing, on random bytes, one 1 MiB line and ANSI noise, with the real recognizers', () => {
    const ansiNoise = Array.from({ length: 20000 }, (_, i) => `\u001b[${i % 108}m\u001b]0;t${i}\u0007\u001b(B`).join(
      '',
    );
    const inputs = [
      randomBytes(300 * 1024).toString('latin1'),
      randomBytes(64 * 1024).toString('utf8'),
      'x'.repeat(1 << 20),
      ansiNoise,
      '\r\r\n\n\u0000'.repeat(100_000),
    ];
    for (const output of inputs) {
      for (const set of [RECOGNIZERS, recognizers]) {
        const d = diagnose({ command: 'sh ci.sh', exitCode: 1, output, files }, set);
        expect(d.tool).toBe('unknown');
        expect(d.excerpt.length).toBeLessThanOrEqual(15);
        expect(d.excerpt.every((l) => l.length <= 300 && !l.includes('\u001b'))).toBe(true);
      }
    }
  });

  it('is bounded and total on any output and command (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 2000 }),
        fc.string({ maxLength: 200 }),
        fc.integer(),
        (output, command, exitCode) => {
          const d = diagnose({ command, exitCode, output, files }, [...recognizers, ...RECOGNIZERS]);
          expect(d.excerpt.length).toBeLessThanOrEqual(15);
          expect(d.locations.length).toBeLessThanOrEqual(20);
          for (const loc of d.locations) expect(files.has(loc.path)).toBe(true);
          expect(typeof d.summary).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('survives recognizers that return malformed answers', () => {
    const malformed: Recognizer = {
      tool: 'tsc',
      recognize: () => ({
        tool: 'tsc',
        category: 'type',
        locations: [{ path: 42 as unknown as string }, { path: '../../etc/passwd', line: -1 }],
        excerpt: 'x' as unknown as string[],
        confidence: Number.NaN,
      }),
    };
    const odd: Recognizer = {
      tool: 'tsc',
      recognize: () => ({
        tool: 'tsc',
        category: 'type',
        locations: [{ path: 'lib\\option.js', line: 3.5 }],
        excerpt: [],
        confidence: 1,
      }),
    };
    expect(diagnose({ command: 'tsc', exitCode: 2, output: 'x' }, [malformed]).tool).toBe('unknown');
    expect(diagnose({ command: 'tsc', exitCode: 2, output: 'x', files }, [malformed, odd]).locations).toEqual([
      { path: 'lib/option.js', line: null, column: null },
    ]);
  });
});

describe('cleanLines and locations', () => {
  it('strips colour codes, normalises CRLF and reads only a bounded tail', () => {
    expect(cleanLines('\u001b[31mred\u001b[0m\r\nnext\rlast')).toEqual(['red', 'next', 'last']);
    const many = cleanLines(Array.from({ length: 100_000 }, (_, i) => `line ${i}`).join('\n'));
    expect(many.length).toBe(4000);
    expect(many.at(-1)).toBe('line 99999');
    expect(cleanLines('y'.repeat(1 << 20))[0]).toHaveLength(2000);
  });

  it('never lets a relative path climb out of the repository (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('..', '.', 'a', 'b.js', '', '\\', 'C:', '~'), { maxLength: 8 }), (parts) => {
        const out = normalisePath(parts.join('/'));
        if (out === null || out.startsWith('/')) return;
        expect(out.split('/')).not.toContain('..');
      }),
      { numRuns: 500 },
    );
  });

  it('makes paths repository-relative and keeps only files that exist', () => {
    expect(normalisePath('./lib//option.js')).toBe('lib/option.js');
    expect(normalisePath('C:\\work\\repo\\lib\\option.js')).toBe('/work/repo/lib/option.js');
    expect(normalisePath('../outside.js')).toBeNull();
    expect(normalisePath('file:///tmp/x/repo/lib/option.js', '/tmp/x/repo')).toBe('lib/option.js');
    const raw = [
      { path: '/home/runner/work/app/app/lib/option.js', line: 12 },
      { path: 'D:\\a\\app\\lib\\option.js', line: 12 },
      { path: 'src/app.js', line: 4, column: 2 },
      { path: 'lib/missing.js', line: 1 },
      { path: './README.md' },
    ];
    expect(repositoryLocations(raw, files)).toEqual([
      { path: 'lib/option.js', line: 12, column: null },
      { path: 'web/src/app.js', line: 4, column: 2 },
      { path: 'README.md', line: null, column: null },
    ]);
    expect(repositoryLocations(raw)).toEqual([
      { path: '/home/runner/work/app/app/lib/option.js', line: 12, column: null },
      { path: '/a/app/lib/option.js', line: 12, column: null },
      { path: 'src/app.js', line: 4, column: 2 },
      { path: 'lib/missing.js', line: 1, column: null },
      { path: 'README.md', line: null, column: null },
    ]);
  });
});
