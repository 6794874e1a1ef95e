// biome check --write on a real repository through the real pipeline and local sandbox: the
// formatting and the safe lint fix are written by the version the failing command ran.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJsFixtureRepo, JS_TOOL_VERSIONS } from '../../scripts/lib/fixtures/javascript.js';
import { runPipeline, sh, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';

// A bound for a cold npx cache, where the first run of each pinned tool downloads it.
const COLD_CACHE_MS = 180_000;

const { fixtures, provider } = usePipelineEnvironment();

describe('biome fixer', () => {
  it(
    'fixes biome check failures (format and a safe lint fix) with biome check --write',
    async () => {
      const repo = await createJsFixtureRepo(path.join(await fixtures.tempDir('biome'), 'repo'), 'biome');
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'biome' });
      expect(run.result!.commands.map((c) => c.command)).toContain(
        `npx @biomejs/biome@${JS_TOOL_VERSIONS.biome} check --write .`,
      );
      expect(run.result!.patch).toContain('+const count = 1;');
      expect(run.result!.patch).toContain('+export function greet(name) {');

      // The patch alone, on a clean clone, makes the command pass.
      const check = path.join(await fixtures.tempDir('biome-check'), 'repo');
      expect((await sh(`git clone --quiet ${repo.url} ${check}`, path.dirname(check))).code).toBe(0);
      await writeFile(path.join(check, 'fix.patch'), run.result!.patch);
      expect((await sh('git apply fix.patch && rm fix.patch', check)).code).toBe(0);
      expect(await sh(repo.command, check)).toMatchObject({ code: 0 });
    },
    COLD_CACHE_MS,
  );
});
