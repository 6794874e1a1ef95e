// goimports -w through the real pipeline on the local sandbox: the check's own pinned
// `go run golang.org/x/tools/cmd/goimports@version`, and a bare goimports the machine lacks.
import { describe, expect, it } from 'vitest';
import { GOIMPORTS_RUN } from '../../scripts/lib/fixtures/go.js';
import { goimportsInvocation } from '../../src/fixer/fixers/go/goimports.js';
import { runPipeline, specFor, usePipelineEnvironment } from '../support/fix-pipeline.js';
import { COLD_GO_CACHE_MS, goRepo, systemLines } from '../support/go-fixtures.js';

const { fixtures, provider } = usePipelineEnvironment();

describe('goimports fixer', () => {
  it(
    'regroups imports with the same pinned goimports the check runs',
    async () => {
      const repo = await goRepo(fixtures, 'goimports');
      const run = await runPipeline(provider(), specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ outcome: 'fixed', fixer: 'goimports' });
      expect(run.result!.commands.map((c) => c.command)).toContain(`${GOIMPORTS_RUN} -w .`);
      expect(run.result!.patch).toMatch(
        / import \(\n-\t"example\.com\/demo\/pkg\/calc"\n \t"fmt"\n\+\n\+\t"example\.com\/demo\/pkg\/calc"\n/,
      );
    },
    COLD_GO_CACHE_MS,
  );

  it('a check calling goimports that is not installed: tool_missing, saying what to add', async () => {
    const repo = await goRepo(fixtures, 'goimports-missing');
    const run = await runPipeline(provider(), specFor(repo));
    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ outcome: 'not_fixed', patch: '' });
    expect(systemLines(run.logs)).toContain(
      `goimports not found: add it to setup in .ci-fixer.yml (or run it pinned: ${GOIMPORTS_RUN})`,
    );
  });

  it("keeps the check's -local grouping and its way of running goimports", () => {
    expect(goimportsInvocation('test -z "$(goimports -local example.com/demo -l .)"')).toBe(
      'goimports -local example.com/demo',
    );
    expect(goimportsInvocation('go tool goimports -l . | (! grep .)')).toBe('go tool goimports');
    expect(goimportsInvocation(`${GOIMPORTS_RUN} -local=example.com -d .`)).toBe(`${GOIMPORTS_RUN} -local example.com`);
  });
});
