// The JavaScript fixers' detectors on the real tools' captured output, and how each fixer picks
// the repository's own tool and version (pure functions; the fix itself is in the integration tests).
import { describe, expect, it } from 'vitest';
import { applicableFixers } from '../../src/fixer/fixers/index.js';
import { biomeWritable, biomeWriteArgs } from '../../src/fixer/fixers/javascript/biome.js';
import { javascriptFixers } from '../../src/fixer/fixers/javascript/index.js';
import { pnpmCommand, pnpmVersionForLockfile } from '../../src/fixer/fixers/javascript/pnpm-lockfile.js';
import {
  packageManager,
  parsePackageJson,
  pinnedVersion,
  toolCommand,
  versionInCommand,
} from '../../src/fixer/fixers/javascript/project.js';
import { yarnCommand, yarnKind, yarnPathOf } from '../../src/fixer/fixers/javascript/yarn-lockfile.js';
import { capturedFailure } from '../support/captured-js-output.js';

const detected = (tool: string, name: string, command?: string) =>
  applicableFixers(capturedFailure(tool, name, command), undefined, javascriptFixers).map((f) => f.name);

describe('javascript fixer detection on captured output', () => {
  it.each([
    ['prettier', 'check-unformatted', ['prettier']],
    ['prettier', 'syntax-error', []],
    ['eslint', 'fixable', ['eslint']],
    ['eslint', 'unfixable', []],
    ['eslint', 'max-warnings', []],
    ['biome', 'check-format-and-lint', ['biome']],
    ['biome', 'ci-format', ['biome']],
    ['biome', 'lint-errors', []], // both rules' fixes are unsafe
    ['npm', 'ci-out-of-sync', ['npm-lockfile']],
    ['npm', 'ci-no-lockfile', []],
    ['npm', 'missing-script', []],
    ['yarn', 'classic-frozen-lockfile', ['yarn-lockfile']],
    ['yarn', 'berry-immutable', ['yarn-lockfile']],
    ['pnpm', 'frozen-lockfile', ['pnpm-lockfile']],
    ['pnpm', 'pnpm10-frozen-lockfile', ['pnpm-lockfile']],
    ['tsc', 'type-error', []],
    ['node-test', 'node24-spec', []],
    ['jest', 'failing-test', []],
    ['vitest', 'failing-test', []],
    ['mocha', 'failing-test', []],
  ] as const)('%s/%s -> %j', (tool, name, fixers) => {
    expect(detected(tool, name)).toEqual(fixers);
  });

  it('biome: only diagnostics that --write can repair, in a failed run', () => {
    expect(
      biomeWritable(
        'src/a.js format ━━━━\n\n  × Formatter would have printed the following content:\n\nFound 1 error.',
      ),
    ).toBe(true);
    expect(
      biomeWritable('src/a.js:1:1 lint/suspicious/noExplicitAny ━━━━\n\n  × Unexpected any.\n\nFound 1 error.'),
    ).toBe(false);
    expect(biomeWritable('src/a.js format ━━━━ (a passing run prints no summary of errors)')).toBe(false);
    const lint = (fix: string) =>
      `src/a.js:1:1 lint/style/useConst  FIXABLE  ━━━━\n\n  ! This let declares a variable that is only assigned once.\n\n  i ${fix}: Use const instead.\n\nFound 1 error.`;
    expect(biomeWritable(lint('Safe fix'))).toBe(true);
    expect(biomeWritable(lint('Unsafe fix'))).toBe(false);
  });

  it('biome: writes with the subcommand and paths the check ran, check --write for check and ci', () => {
    expect(biomeWriteArgs('npx @biomejs/biome@2.6.8 format .')).toBe('format --write .');
    expect(biomeWriteArgs('npm ci && biome lint src')).toBe('lint --write src');
    expect(biomeWriteArgs('biome check --reporter=github --max-diagnostics 5 src test')).toBe('check --write src test');
    expect(biomeWriteArgs('biome ci .')).toBe('check --write .');
    expect(biomeWriteArgs('npm run check')).toBe('check --write .');
  });
});

describe("the repository's own tool and version", () => {
  const pkg = parsePackageJson(
    JSON.stringify({
      packageManager: 'pnpm@9.15.0+sha512.76e2379760a4328ec4415815bcd6628dee727af3779aaa4c914e3944156c4299',
      devDependencies: {
        prettier: '^3.3.0',
        '@biomejs/biome': '2.6.8',
        eslint: 'workspace:*',
        typescript: 'npm:@typescript/native@7',
      },
    }),
  );

  it('reads pins from package.json, ignoring what npx cannot install and a broken file', () => {
    expect(packageManager(pkg)).toEqual({ name: 'pnpm', version: '9.15.0' });
    expect(pinnedVersion(pkg, 'prettier')).toBe('^3.3.0');
    expect(pinnedVersion(pkg, '@biomejs/biome')).toBe('2.6.8');
    expect(pinnedVersion(pkg, 'eslint')).toBeNull();
    expect(pinnedVersion(pkg, 'typescript')).toBeNull();
    expect(parsePackageJson('{ not json')).toEqual({});
    expect(parsePackageJson('[1]')).toEqual({});
    expect(packageManager(parsePackageJson('{"packageManager": "yarn@berry"}'))).toBeNull();
  });

  it('takes the version the failing command ran', () => {
    expect(versionInCommand('npm ci && npx @biomejs/biome@2.6.8 ci .', '@biomejs/biome')).toBe('2.6.8');
    expect(versionInCommand('npx prettier@3 --check .', 'prettier')).toBe('3');
    expect(versionInCommand('npx prettier --check .', 'prettier')).toBeNull();
    expect(versionInCommand('npx eslint-plugin-prettier@5 x', 'prettier')).toBeNull();
  });

  it('runs the installed bin first, then the pinned version, then PATH, then npx; else the tool is missing', () => {
    const prettier = { pkg: 'prettier', bin: 'prettier' };
    const none = { localBin: null, version: null, onPath: false, hasNpx: false };
    expect(
      toolCommand(prettier, { ...none, localBin: './node_modules/.bin/prettier', version: '3.1.0', hasNpx: true }),
    ).toBe('./node_modules/.bin/prettier');
    expect(toolCommand(prettier, { ...none, version: '^3.3.0', onPath: true, hasNpx: true })).toBe(
      "npx 'prettier@^3.3.0'",
    );
    expect(toolCommand(prettier, { ...none, onPath: true, hasNpx: true })).toBe('prettier');
    expect(toolCommand(prettier, { ...none, hasNpx: true })).toBe('npx prettier');
    expect(toolCommand(prettier, none)).toBeNull();
  });

  it('yarn: berry or classic from the pin, the lock file or the message; a checked-in release wins', () => {
    expect(yarnKind(4, null, '')).toBe('berry');
    expect(yarnKind(1, '__metadata:\n', '')).toBe('classic');
    expect(yarnKind(null, '# yarn lockfile v1\n', '')).toBe('classic');
    expect(yarnKind(null, '__metadata:\n  version: 8\n', '')).toBe('berry');
    expect(
      yarnKind(
        null,
        null,
        '➤ YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden.',
      ),
    ).toBe('berry');
    const facts = { yarnPath: null, version: null, onPath: false, hasNpx: true };
    expect(yarnCommand('berry', { ...facts, version: '4.5.1' })).toBe('npx @yarnpkg/cli-dist@4.5.1');
    expect(yarnCommand('classic', { ...facts, version: '1.22.22' })).toBe('npx yarn@1.22.22');
    expect(yarnCommand('classic', { ...facts, onPath: true })).toBe('yarn');
    expect(yarnCommand('classic', facts)).toBe('npx yarn@1');
    expect(yarnCommand('berry', { ...facts, yarnPath: '.yarn/releases/yarn-4.5.1.cjs', version: '4.5.1' })).toBe(
      'node .yarn/releases/yarn-4.5.1.cjs',
    );
    expect(yarnCommand('berry', { ...facts, hasNpx: false })).toBeNull();
    expect(yarnPathOf('enableTelemetry: false\nyarnPath: .yarn/releases/yarn-4.5.1.cjs\n')).toBe(
      '.yarn/releases/yarn-4.5.1.cjs',
    );
    expect(yarnPathOf('yarnPath: ../../outside.cjs')).toBeNull();
  });

  it("pnpm: the pinned version, else pnpm on PATH, else the pnpm that writes the lock file's format", () => {
    expect(pnpmVersionForLockfile("lockfileVersion: '9.0'\n")).toBe('10');
    expect(pnpmVersionForLockfile("lockfileVersion: '6.0'\n")).toBe('8');
    expect(pnpmVersionForLockfile('lockfileVersion: 5.4\n')).toBe('7');
    expect(pnpmVersionForLockfile(null)).toBeNull();
    const facts = { pinned: null, forLockfile: null, onPath: false, hasNpx: true };
    expect(pnpmCommand({ ...facts, pinned: '9.15.0', onPath: true })).toBe('npx pnpm@9.15.0');
    expect(pnpmCommand({ ...facts, onPath: true, forLockfile: '10' })).toBe('pnpm');
    expect(pnpmCommand({ ...facts, forLockfile: '10' })).toBe('npx pnpm@10');
    expect(pnpmCommand({ ...facts, hasNpx: false })).toBeNull();
  });
});
