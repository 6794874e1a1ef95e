// The fix pipeline's step tracking on the kubernetes driver: the instrumented command writes the
// running step's index to a marker file inside the sandbox pod, and the pipeline reads it back
// through the driver, so a chained command is diagnosed and composed there as on the local one.
import { afterAll, describe, expect, it } from 'vitest';
import { Fixtures, runPipeline, specFor } from '../support/fix-pipeline.js';
import { startProvider, useSandboxNamespace } from '../support/k8s-sandbox.js';

describe('fix pipeline steps on the kubernetes sandbox', () => {
  const ns = useSandboxNamespace('sbx-steps');
  const fixtures = new Fixtures();
  afterAll(() => fixtures.cleanup());

  it('knows which step of a chained command failed, and keeps a fixer that moved the failure to a later step', async () => {
    const { provider } = await startProvider(ns.name);
    try {
      const repo = await fixtures.repo('prettier-still-failing'); // npx prettier --check . && node test.js
      const run = await runPipeline(provider, specFor(repo));
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({
        outcome: 'not_fixed',
        fixers: [],
        patch: '',
        diagnosis: { step: { index: 0, command: 'npx prettier --check .' } },
      });
      expect(run.logs.map((l) => l.text)).toContain('fixer prettier kept (later)');
      expect(run.result!.reason).toMatch(
        /^after prettier the command still fails and no fixer recognises it: `node test\.js` failed/,
      );
    } finally {
      await provider.stop();
    }
  });
});
