// A JavaScript fixer whose tool the sandbox lacks: the task log says how to get it, the outcome is
// not_fixed, nothing crashes. The sandbox's PATH holds node, git and the shell tools, but no npm,
// npx or biome; the CI command runs a biome installed outside the repository by absolute path.
import { execFile } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJsFixtureRepo, JS_FIXER_FIXTURES, JS_TOOL_VERSIONS } from '../../scripts/lib/fixtures/javascript.js';
import { Fixtures, runPipeline, sh, specFor } from '../support/fix-pipeline.js';
import { startLocalProvider } from '../support/local-sandbox.js';

// A bound for installing biome on a machine whose npm cache is cold.
const COLD_CACHE_MS = 180_000;

const exec = promisify(execFile);
const SHELL_TOOLS = [
  'sh',
  'bash',
  'timeout',
  'git',
  'env',
  'cat',
  'rm',
  'mkdir',
  'ls',
  'test',
  'xargs',
  'sed',
  'grep',
  'head',
  'tail',
  'find',
  'dirname',
  'basename',
  'cp',
  'mv',
  'wc',
  'sort',
  'tr',
  'printf',
];

const fixtures = new Fixtures();
let binDir = '';
let biome = '';

beforeAll(async () => {
  const tools = await fixtures.tempDir('biome-outside');
  const install = await sh(
    `npm install --no-audit --no-fund --ignore-scripts --prefix ${tools} @biomejs/biome@${JS_TOOL_VERSIONS.biome}`,
    tools,
  );
  if (install.code !== 0) throw new Error(`installing biome for the test failed:\n${install.output}`);
  biome = path.join(tools, 'node_modules/@biomejs/biome/bin/biome');
  binDir = path.join(await fixtures.tempDir('bin'), 'bin');
  await mkdir(binDir);
  for (const name of [...SHELL_TOOLS, 'node']) {
    const found = name === 'node' ? process.execPath : (await exec('sh', ['-c', `command -v ${name}`])).stdout.trim();
    await symlink(found, path.join(binDir, name));
  }
  return () => fixtures.cleanup();
}, COLD_CACHE_MS);

describe('a JavaScript fixer without its tool', () => {
  it('logs "biome not found: add it to setup in .ci-fixer.yml" and ends not_fixed', async () => {
    const { provider } = await startLocalProvider({ baseEnv: { ...process.env, PATH: binDir } });
    try {
      const repo = await createJsFixtureRepo(path.join(await fixtures.tempDir('biome-missing'), 'repo'), 'biome', {
        command: `node ${biome} check .`,
        // No pin either: nothing says which biome to fetch, and there is no npx to fetch it.
        files: {
          ...JS_FIXER_FIXTURES.biome.files,
          'package.json': '{ "name": "fixture", "private": true, "type": "module" }\n',
        },
      });
      const run = await runPipeline(provider, specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'not_fixed', fixer: null, patch: '' });
      expect(run.logs).toContainEqual({ stream: 'system', text: 'biome not found: add it to setup in .ci-fixer.yml' });
      // The failure was biome's own, found and reproduced with the sandbox's PATH.
      expect(run.logs.some((l) => /Some errors were emitted while running checks/.test(l.text))).toBe(true);
      expect(run.result!.commands.map((c) => c.command)).not.toContainEqual(expect.stringMatching(/check --write/));
    } finally {
      await provider.stop();
    }
  });
});
