// gofmt -w through the real pipeline on the local sandbox, on real Go modules: the silent
// `test -z "$(gofmt -l .)"` idiom, a `gofmt -d` check, and a go line newer than the installed Go.
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../../scripts/lib/apply-patch.js';
import { runPipeline, sh, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';
import { COLD_GO_CACHE_MS, goRepo, systemLines } from '../support/go-fixtures.js';

// GOTOOLCHAIN=local as on a machine that may not fetch toolchains (and as CI runs here).
const { fixtures, provider } = usePipelineEnvironment({ baseEnv: { ...process.env, GOTOOLCHAIN: 'local' } });
// A machine without Go: only the system folders on PATH (git and sh are there).
const noGo = usePipelineEnvironment({ baseEnv: { ...process.env, PATH: '/usr/bin:/bin' } });

describe('gofmt fixer', () => {
  it(
    'fixes the silent test -z "$(gofmt -l .)" check, and the patch alone makes the command pass',
    async () => {
      const repo = await goRepo(fixtures, 'gofmt');
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'gofmt' });
      expect(run.result!.commands.map((c) => c.command)).toContain('"$(go env GOROOT)/bin/gofmt" -w .');
      expect(run.result!.patch).toContain('diff --git a/main.go b/main.go');
      expect(run.result!.patch).toContain('+\tfmt.Println(calc.Add(2, 3))');

      const clean = await goRepo(fixtures, 'gofmt');
      await applyPatch(clean.dir, run.result!.patch);
      expect(await sh(repo.command, clean.dir)).toMatchObject({ code: 0 });
    },
    COLD_GO_CACHE_MS,
  );

  it(
    'formats exactly the files a gofmt -d check named',
    async () => {
      const repo = await goRepo(fixtures, 'gofmt-diff');
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'gofmt' });
      expect(run.result!.commands.map((c) => c.command)).toContain('"$(go env GOROOT)/bin/gofmt" -w main.go');
    },
    COLD_GO_CACHE_MS,
  );

  it(
    "a go line newer than the installed Go under GOTOOLCHAIN=local: tool_missing with the go command's reason, nothing changed",
    async () => {
      const repo = await goRepo(fixtures, 'go-toolchain-newer');
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'not_fixed', fixer: null, patch: '' });
      const message = systemLines(run.logs).find((l) => l.startsWith('go 1.99 not found'));
      expect(message).toMatch(
        /^go 1\.99 not found: add it to setup in \.ci-fixer\.yml \(go\.mod pins it; go: go\.mod requires go >= 1\.99 \(running go \S+; GOTOOLCHAIN=local\)\)$/,
      );
      expect(run.result!.commands.map((c) => c.command)).not.toContain('"$(go env GOROOT)/bin/gofmt" -w .');
    },
    COLD_GO_CACHE_MS,
  );

  it('no Go on the machine: tool_missing, saying what to add', async () => {
    const repo = await goRepo(noGo.fixtures, 'gofmt-diff');
    const run = await runPipeline(noGo.provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ outcome: 'not_fixed', patch: '' });
    expect(systemLines(run.logs)).toContain('gofmt not found: add it to setup in .ci-fixer.yml');
  });
});
