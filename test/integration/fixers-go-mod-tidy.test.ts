// go mod tidy through the real pipeline on the local sandbox, for each module message. The module
// github.com/google/uuid comes through GOPROXY/GOFLAGS as the environment sets them, into the
// usual module cache outside the repository (warm after the first run).
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../../scripts/lib/apply-patch.js';
import { runPipeline, sh, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';
import { COLD_GO_CACHE_MS, goRepo } from '../support/go-fixtures.js';

const { fixtures, provider } = usePipelineEnvironment();

describe('go-mod-tidy fixer', () => {
  it(
    'a module importing a package go.mod does not require comes back fixed under go test ./...',
    async () => {
      const repo = await goRepo(fixtures, 'go-mod-missing');
      expect(repo.command).toBe('go test ./...');
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'go-mod-tidy' });
      expect(run.result!.commands.map((c) => c.command)).toContain('go mod tidy');
      expect(run.result!.patch).toContain('+require github.com/google/uuid v1.6.0');
      expect(run.result!.patch).toMatch(/^diff --git a\/go\.sum b\/go\.sum$/m);
      expect(run.result!.patch).toContain(' go 1.22'); // the go line stays as the repository pinned it

      const clean = await goRepo(fixtures, 'go-mod-missing');
      await applyPatch(clean.dir, run.result!.patch);
      expect(await sh(repo.command, clean.dir)).toMatchObject({ code: 0 });
    },
    COLD_GO_CACHE_MS,
  );

  it(
    'fills a missing go.sum entry',
    async () => {
      const run = await runPipeline(provider(), specFor(await goRepo(fixtures, 'go-sum-missing')));
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'go-mod-tidy' });
      expect(run.result!.patch).toContain(
        '+github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=',
      );
    },
    COLD_GO_CACHE_MS,
  );

  it(
    'brings stale requirements up to the build list ("updates to go.mod needed")',
    async () => {
      const run = await runPipeline(provider(), specFor(await goRepo(fixtures, 'go-mod-updates')));
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'go-mod-tidy' });
      expect(run.result!.patch).toContain('+require example.com/b v0.2.0 // indirect');
    },
    COLD_GO_CACHE_MS,
  );

  it(
    're-vendors a module whose vendor/modules.txt is out of step ("inconsistent vendoring")',
    async () => {
      const run = await runPipeline(provider(), specFor(await goRepo(fixtures, 'go-vendor')));
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'go-mod-tidy' });
      expect(run.result!.commands.map((c) => c.command)).toEqual(
        expect.arrayContaining(['go mod tidy', 'go mod vendor']),
      );
      expect(run.result!.patch).toContain('+# github.com/google/uuid v1.6.0');
      expect(run.result!.patch).toMatch(/^diff --git a\/vendor\/github\.com\/google\/uuid\/uuid\.go /m);
    },
    COLD_GO_CACHE_MS,
  );
});
