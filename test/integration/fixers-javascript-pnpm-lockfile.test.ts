// pnpm lock file drift (ERR_PNPM_OUTDATED_LOCKFILE under --frozen-lockfile), fixed by the pnpm
// that package.json's packageManager pins, through the real pipeline on the local sandbox.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJsFixtureRepo, JS_TOOL_VERSIONS } from '../../scripts/lib/fixtures/javascript.js';
import { runPipeline, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';

// A bound for a cold npx cache, where the first run of each pinned tool downloads it.
const COLD_CACHE_MS = 180_000;

const { fixtures, provider } = usePipelineEnvironment();

describe('pnpm-lockfile fixer', () => {
  it(
    'rewrites pnpm-lock.yaml only, with the pinned pnpm',
    async () => {
      const repo = await createJsFixtureRepo(path.join(await fixtures.tempDir('pnpm'), 'repo'), 'pnpm');
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'pnpm-lockfile' });
      expect(run.result!.commands.map((c) => c.command)).toContain(
        `npx pnpm@${JS_TOOL_VERSIONS.pnpm10} install --lockfile-only --no-frozen-lockfile --ignore-scripts`,
      );
      expect(run.result!.patch.match(/^diff --git .*/gm)).toEqual(['diff --git a/pnpm-lock.yaml b/pnpm-lock.yaml']);
      expect(run.result!.patch).toContain('+        specifier: file:./vendor/left-pad');
    },
    COLD_CACHE_MS,
  );
});
