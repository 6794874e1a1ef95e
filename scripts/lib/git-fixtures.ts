// Builds small real git repositories that fail CI in known ways. Used by scripts/make-demo-repo.ts
// (the acceptance demo) and by the fix-pipeline tests, so both exercise the same repositories.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const FIXTURE_VARIANTS = [
  'prettier',
  'eslint',
  'npm-lockfile',
  'unfixable',
  'prettier-still-failing',
  'passing',
] as const;
export type FixtureVariant = (typeof FIXTURE_VARIANTS)[number];

export interface FixtureRepo {
  dir: string;
  /** file:// URL of the repository, usable as a task's repo.url. */
  url: string;
  branch: string;
  /** Full sha of the one commit on `branch`. */
  commit: string;
  /** The CI command that fails (or, for `passing`, passes) in this repository. */
  command: string;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
const PACKAGE_JSON = json({ name: 'ci-fixer-demo', version: '1.0.0', private: true });
const GITIGNORE = 'node_modules/\n';
// Deliberately not what `prettier` would write: odd spacing, double quotes, no semicolons.
export const BADLY_FORMATTED_JS =
  'const greeting   =   "hello"\nexport function greet( name ){return greeting+", "+name}\n';
const BADLY_FORMATTED_JSON = '{"name":"demo",   "tags":["a","b"],\n"size":   3}\n';
const FAILING_TEST = "console.error('expected 2 but got 3');\nprocess.exit(1);\n";

function lockFile(dependencies?: Record<string, string>): string {
  const root = { name: 'ci-fixer-demo', version: '1.0.0', ...(dependencies ? { dependencies } : {}) };
  return json({ name: 'ci-fixer-demo', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': root } });
}

function filesFor(variant: FixtureVariant): { files: Record<string, string>; command: string } {
  const base = { 'package.json': PACKAGE_JSON, '.gitignore': GITIGNORE };
  switch (variant) {
    case 'prettier':
      return {
        files: { ...base, 'src/greet.js': BADLY_FORMATTED_JS, 'data/settings.json': BADLY_FORMATTED_JSON },
        command: 'npx prettier --check .',
      };
    case 'prettier-still-failing':
      return {
        files: { ...base, 'src/greet.js': BADLY_FORMATTED_JS, 'test.js': FAILING_TEST },
        command: 'npx prettier --check . && node test.js',
      };
    case 'eslint':
      return {
        files: {
          ...base,
          // Self-contained flat config (no plugin imports), so a bare `npx eslint` can load it.
          'eslint.config.mjs':
            "export default [{ rules: { 'no-var': 'error', 'prefer-const': 'error', curly: 'error' } }];\n",
          'src/count.js':
            'var count = 1;\nlet unchanged = 2;\nif (count) count++;\nexport default count + unchanged;\n',
        },
        command: 'npx eslint .',
      };
    case 'npm-lockfile':
      return {
        files: {
          ...base,
          'package.json': json({
            name: 'ci-fixer-demo',
            version: '1.0.0',
            private: true,
            dependencies: { 'demo-dep': 'file:vendor/demo-dep' },
          }),
          // The lock predates the dependency: `npm ci` refuses to install.
          'package-lock.json': lockFile(),
          'vendor/demo-dep/package.json': json({ name: 'demo-dep', version: '1.0.0' }),
        },
        command: 'npm ci --ignore-scripts --no-audit --no-fund',
      };
    case 'unfixable':
      return { files: { ...base, 'test.js': FAILING_TEST }, command: 'node test.js' };
    case 'passing':
      return { files: { ...base, 'test.js': "console.log('all good');\n" }, command: 'node test.js' };
  }
}

/** Runs git with a fixed identity and no user/system config, so fixtures are the same everywhere. */
export function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [
        '-c',
        'user.name=ci-fixer fixtures',
        '-c',
        'user.email=fixtures@ci-fixer.invalid',
        '-c',
        'commit.gpgsign=false',
        ...args,
      ],
      { cwd, timeout: 30_000, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`git ${args.join(' ')} failed: ${stderr || err.message}`)) : resolve(stdout.trim()),
    );
  });
}

export type FileMap = Record<string, string>;

/** Writes `files` into `dir` (created if missing). */
export async function writeFiles(dir: string, files: FileMap): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

/** Writes `files` into `dir` (created if missing; should be empty) and commits them on main, with whatever else is there. */
export async function commitRepo(dir: string, files: FileMap, command: string, message: string): Promise<FixtureRepo> {
  await writeFiles(dir, files);
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  await git(dir, ['add', '--all']);
  await git(dir, ['commit', '--quiet', '--allow-empty', '--message', message]);
  const commit = await git(dir, ['rev-parse', 'HEAD']);
  return { dir, url: pathToFileURL(dir).href, branch: 'main', commit, command };
}

/** Creates the repository in `dir` (created if missing; should be empty) with one commit on main. */
export async function createFixtureRepo(dir: string, variant: FixtureVariant): Promise<FixtureRepo> {
  const { files, command } = filesFor(variant);
  return commitRepo(dir, files, command, `demo: ${variant}`);
}
