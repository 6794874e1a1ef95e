// prettier and eslint run the repository's own version: the one installed in node_modules, else
// the one package.json pins, through the real pipeline on the local sandbox.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJsFixtureRepo, JS_TOOL_VERSIONS } from '../../scripts/lib/fixtures/javascript.js';
import { runPipeline, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';

// A bound for a cold npx cache, where the first run of each pinned tool downloads it.
const COLD_CACHE_MS = 180_000;

const { fixtures, provider } = usePipelineEnvironment();

describe("the repository's own tool version", () => {
  it(
    'prettier: runs node_modules/.bin/prettier when the setup step installed it',
    async () => {
      const repo = await createJsFixtureRepo(
        path.join(await fixtures.tempDir('prettier-installed'), 'repo'),
        'prettier-installed',
      );
      const run = await runPipeline(
        provider(),
        specFor(repo, { setup: ['npm install --no-audit --no-fund --ignore-scripts'] }),
      );
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'prettier' });
      expect(run.result!.commands.map((c) => c.command)).toContain('./node_modules/.bin/prettier --write src'); // the check's own paths
      // The lock file the setup step wrote is not part of the fix.
      expect(run.result!.patch.match(/^diff --git .*/gm)).toEqual(['diff --git a/src/greet.js b/src/greet.js']);
    },
    COLD_CACHE_MS,
  );

  it(
    'eslint: runs the devDependencies version through npx when nothing is installed',
    async () => {
      const repo = await createJsFixtureRepo(
        path.join(await fixtures.tempDir('eslint-pinned'), 'repo'),
        'eslint-pinned',
      );
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'eslint' });
      expect(run.result!.commands.map((c) => c.command)).toContain(`npx eslint@${JS_TOOL_VERSIONS.eslint} --fix .`);
      expect(run.result!.patch).toContain('+const count = 1;');
      expect(run.result!.patch).toContain('+const unchanged = 2;');
    },
    COLD_CACHE_MS,
  );
});
