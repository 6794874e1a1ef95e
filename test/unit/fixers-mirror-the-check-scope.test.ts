// Fixers run the failing check's own scope and flags in writing mode (through package.json
// scripts too), and fall back to the files the diagnosis named, never to the whole repository
// when the check was scoped.
import { describe, expect, it } from 'vitest';
import { eslintFixArgs } from '../../src/fixer/fixers/javascript/eslint.js';
import { prettierWriteArgs } from '../../src/fixer/fixers/javascript/prettier.js';
import { checkFlags, formatTargets } from '../../src/fixer/fixers/go/toolchain.js';
import { goimportsInvocation } from '../../src/fixer/fixers/go/goimports.js';
import { fmtArgs } from '../../src/fixer/fixers/rust/cargo-fmt.js';
import { invocations, withoutFlags } from '../../src/fixer/fixers/invocation.js';
import { fallbackFor } from '../../src/fixer/fixers/tool-fixer.js';
import type { FixerContext } from '../../src/fixer/types.js';
import type { DiagnosisLocation } from '../../src/task.js';

function ctxFor(
  command: string,
  options: {
    packageJson?: string;
    locations?: Array<Partial<DiagnosisLocation> & { path: string }>;
    cwd?: string;
  } = {},
): FixerContext {
  return {
    run: async () => ({ exitCode: 0, durationMs: 0, output: '', stdoutLines: [], timedOut: false }),
    failure: {
      command,
      exitCode: 1,
      output: '',
      diagnosis: {
        tool: 'unknown',
        category: 'lint',
        step: null,
        locations: (options.locations ?? []).map((l) => ({ line: null, column: null, ...l })),
        excerpt: [],
        summary: '',
      },
      ...(options.cwd ? { cwd: options.cwd } : {}),
    },
    command,
    createdByCommand: async () => [],
    readFile: async (path) => (path === 'package.json' ? (options.packageJson ?? null) : null),
    hasCommand: async () => true,
    log: () => {},
    signal: new AbortController().signal,
  };
}

describe('eslint --fix mirrors the check', () => {
  it('keeps the paths, extensions and config, also behind npm run lint', async () => {
    expect(await eslintFixArgs(ctxFor('eslint ./src --ext .ts'))).toEqual(['--fix ./src --ext .ts']);
    expect(await eslintFixArgs(ctxFor('npx eslint@9 . && node --test'))).toEqual(['--fix .']);
    const pkg = JSON.stringify({ scripts: { lint: 'eslint ./src --ext .ts', test: 'jest' } });
    expect(await eslintFixArgs(ctxFor('npm run lint', { packageJson: pkg }))).toEqual(['--fix ./src --ext .ts']);
    expect(await eslintFixArgs(ctxFor('npx eslint -c .eslintrc.ci.json --rule "semi: error" lib test'))).toEqual([
      '--fix -c .eslintrc.ci.json --rule "semi: error" lib test',
    ]);
  });

  it("drops what only shapes the check's report or verdict", async () => {
    expect(
      await eslintFixArgs(ctxFor('eslint --max-warnings 0 -f json -o report.json --no-color src --ext .ts,.tsx')),
    ).toEqual(['--fix src --ext .ts,.tsx']);
  });

  it('names the diagnosed files when the check names no path, and . only when nothing says more', async () => {
    const locations = [{ path: 'web/src/a.ts', line: 1 }, { path: 'web/src/b.js' }, { path: 'web/README.md' }];
    expect(await eslintFixArgs(ctxFor('npx eslint --ext .ts', { locations, cwd: 'web/' }))).toEqual([
      '--fix --ext .ts src/a.ts src/b.js',
    ]);
    expect(await eslintFixArgs(ctxFor('make lint', { locations: [{ path: 'lib/x.mjs' }] }))).toEqual([
      '--fix lib/x.mjs',
    ]);
    expect(await eslintFixArgs(ctxFor('make lint'))).toEqual(['--fix .']);
  });

  it('runs each different invocation of the check', async () => {
    expect(await eslintFixArgs(ctxFor('eslint src && eslint --ext .ts test'))).toEqual([
      '--fix src',
      '--fix --ext .ts test',
    ]);
  });
});

describe('prettier --write mirrors the check', () => {
  it('keeps a glob as the check quoted it', async () => {
    expect(await prettierWriteArgs(ctxFor('prettier --check "src/**/*.ts"'))).toBe('--write "src/**/*.ts"');
    expect(await prettierWriteArgs(ctxFor('npx prettier --list-different "src/**/*.{ts,tsx}"'))).toBe(
      '--write "src/**/*.{ts,tsx}"',
    );
  });

  it('formats the files the check listed when it cannot be read', async () => {
    const locations = [{ path: 'src/a.ts' }, { path: "docs/it's.md" }];
    expect(await prettierWriteArgs(ctxFor('make format-check', { locations }))).toBe(
      `--write src/a.ts 'docs/it'\\''s.md'`,
    );
  });
});

describe('gofmt and goimports keep the check flags', () => {
  it('-s and -r rules stay, listing and diff flags go', () => {
    expect(checkFlags('test -z "$(gofmt -s -l .)"', /gofmt/)).toEqual(['-s']);
    expect(checkFlags(`gofmt -d -s -r 'a[b:len(a)] -> a[b:]' ./pkg`, /gofmt/)).toEqual([
      '-s',
      "-r 'a[b:len(a)] -> a[b:]'",
    ]);
    expect(checkFlags('gofmt -l . && gofmt -s -d ./cmd', /gofmt/)).toEqual(['-s']);
    expect(checkFlags('go vet ./... && test -z "$(gofmt -l .)"', /gofmt/)).toEqual([]);
    expect(goimportsInvocation('goimports -format-only -local=example.com -l .')).toBe(
      'goimports -format-only -local example.com',
    );
  });

  it('targets the named files, else the check paths, else the folder', () => {
    const named = ctxFor('gofmt -s -l ./cmd ./pkg', { locations: [{ path: 'pkg/a.go' }, { path: 'go.mod' }] });
    expect(formatTargets(named, /gofmt/)).toBe('pkg/a.go');
    expect(formatTargets(ctxFor('test -z "$(gofmt -s -l ./cmd ./pkg)"'), /gofmt/)).toBe('./cmd ./pkg');
    expect(formatTargets(ctxFor('make fmt-check'), /gofmt/)).toBe('.');
  });
});

describe('cargo fmt and black keep the check scope', () => {
  it('cargo fmt --check -p x -> cargo fmt -p x', () => {
    const [inv] = invocations('cargo fmt --check -p x', /cargo(?:\s+\+\S+)?\s+fmt|rustfmt/);
    expect(fmtArgs(inv!.args)).toEqual(['-p', 'x']);
  });

  it('black --check -t py39 src -> black -t py39 src', () => {
    const [inv] = invocations('black --check -t py39 src', /black/);
    expect(withoutFlags(inv!.args, ['--check', '--diff', '--color', '--no-color'])).toEqual(['-t', 'py39', 'src']);
  });
});

describe('a check that never names its tool (make lint)', () => {
  it('runs the tool on the files its output named, when it takes a file list', () => {
    const spec = { fallback: { launcher: '', program: 'black', args: ['.'] }, files: /\.pyi?$/ };
    const recognition = (paths: string[]) => ({
      tool: 'black' as const,
      category: 'format' as const,
      locations: paths.map((path) => ({ path })),
      excerpt: [],
      confidence: 0.9,
    });
    expect(fallbackFor(spec, recognition(['src/app.py', 'src/app.py', 'README.md'])).args).toEqual(['src/app.py']);
    expect(fallbackFor(spec, recognition([])).args).toEqual(['.']);
    expect(fallbackFor({ fallback: spec.fallback }, recognition(['src/app.py'])).args).toEqual(['.']);
  });
});
