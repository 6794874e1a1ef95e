// yarn lock file drift, yarn 1 and berry, each run at the version package.json's packageManager
// pins, through the real pipeline on the local sandbox. Only yarn.lock changes.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJsFixtureRepo, JS_TOOL_VERSIONS } from '../../scripts/lib/fixtures/javascript.js';
import { runPipeline, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';

// A bound for a cold npx cache, where the first run of each pinned tool downloads it.
const COLD_CACHE_MS = 180_000;

const { fixtures, provider } = usePipelineEnvironment();

describe('yarn-lockfile fixer', () => {
  it(
    'updates yarn.lock for yarn 1 after "yarn was run with --frozen-lockfile"',
    async () => {
      const repo = await createJsFixtureRepo(path.join(await fixtures.tempDir('yarn-classic'), 'repo'), 'yarn-classic');
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'yarn-lockfile' });
      expect(run.result!.commands.map((c) => c.command)).toContain(
        `npx yarn@${JS_TOOL_VERSIONS.yarn} install --ignore-scripts --non-interactive --no-progress`,
      );
      expect(run.result!.patch.match(/^diff --git .*/gm)).toEqual(['diff --git a/yarn.lock b/yarn.lock']);
      expect(run.result!.patch).toContain('+"left-pad@file:./vendor/left-pad":');
    },
    COLD_CACHE_MS,
  );

  it(
    'updates yarn.lock for berry after YN0028 under --immutable, without installing',
    async () => {
      const repo = await createJsFixtureRepo(path.join(await fixtures.tempDir('yarn-berry'), 'repo'), 'yarn-berry');
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'yarn-lockfile' });
      expect(run.result!.commands.map((c) => c.command)).toContain(
        `npx @yarnpkg/cli-dist@${JS_TOOL_VERSIONS.yarnBerry} install --mode=update-lockfile --no-immutable`,
      );
      expect(run.result!.patch.match(/^diff --git .*/gm)).toEqual(['diff --git a/yarn.lock b/yarn.lock']);
      expect(run.result!.patch).toContain('+    left-pad: "file:./vendor/left-pad"');
    },
    COLD_CACHE_MS,
  );
});
