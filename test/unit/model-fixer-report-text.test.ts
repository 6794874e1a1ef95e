// The model fixer's part of the GitHub check run and pull request body.
import { describe, expect, it } from 'vitest';
import { checkOutput, modelReportLines, pullRequestBody, type TaskOutcome } from '../../src/github/report-text.js';
import type { FixResult, GitHubOrigin } from '../../src/task.js';

const ORIGIN = {
  event: 'workflow_run',
  deliveryId: 'd',
  headSha: '3484a3fb816e0859fd6e1cea078d76385ff50625',
  headBranch: 'feature',
  headRepository: 'o/r',
  repository: { fullName: 'o/r', cloneUrl: 'https://github.com/o/r.git', defaultBranch: 'main' },
  pullRequests: [],
  workflow: { name: 'CI', path: null },
  runId: 1,
  checkRun: null,
  failedJob: 'test',
  installationId: 1,
} satisfies GitHubOrigin;
const MODEL = {
  model: 'qwen2.5-coder:14b',
  steps: 6,
  attempts: 2,
  promptTokens: 9000,
  completionTokens: 450,
  modelTimeMs: 8000,
  summary: 'sum subtracted;\nit now adds. cc @octocat',
};
const FIXED: FixResult = {
  outcome: 'fixed',
  fixer: 'model',
  fixers: ['model'],
  model: MODEL,
  patch: 'diff --git a/x b/x\n',
  patchTruncated: false,
  commands: [],
  proof: {
    sandbox: 'local:ci-fixer-t-proof-x',
    commit: '3484a3fb816e0859fd6e1cea078d76385ff50625',
    patchSha256: 'b'.repeat(64),
    command: 'node --test',
    exitCode: 0,
    durationMs: 300,
  },
};
const outcome = (result: FixResult): TaskOutcome => ({
  state: 'succeeded',
  spec: { repo: { url: 'https://github.com/o/r.git', ref: 'main' }, command: 'node --test' },
  result,
  error: null,
});

describe('model fixer report text', () => {
  it('shows the model, its usage and its summary (one paragraph, no mentions), and that the fix was verified', () => {
    expect(modelReportLines(FIXED)).toEqual([
      '**Model:** qwen2.5-coder:14b (6 steps, 2 attempts, 9450 tokens)',
      "**Model's summary:** sum subtracted; it now adds. cc @\u200boctocat",
      'Verified on a fresh checkout of 3484a3fb816e0859fd6e1cea078d76385ff50625: `node --test` exited 0.',
    ]);
    const check = checkOutput(outcome(FIXED), { taskUrl: 'https://cf/t' });
    expect(check.title).toBe('Fixed by model');
    expect(check.summary).toContain("**Model's summary:** sum subtracted; it now adds.");
    expect(check.summary).toContain('Verified on a fresh checkout of 3484a3fb816e0859fd6e1cea078d76385ff50625');
    const body = pullRequestBody('https://cf/t', ORIGIN, FIXED);
    expect(body).toContain("**Model's summary:** sum subtracted; it now adds.");
    expect(body).toContain(
      'Verified on a fresh checkout of 3484a3fb816e0859fd6e1cea078d76385ff50625: `node --test` exited 0.',
    );
  });

  it('says nothing of verification when the model did not fix it, and nothing at all without the model', () => {
    const notFixed: FixResult = { ...FIXED, outcome: 'not_fixed', fixer: null, fixers: [], patch: '' };
    expect(modelReportLines(notFixed)).toEqual([
      '**Model:** qwen2.5-coder:14b (6 steps, 2 attempts, 9450 tokens)',
      "**Model's summary:** sum subtracted; it now adds. cc @\u200boctocat",
    ]);
    expect(modelReportLines({ ...FIXED, model: null })).toEqual([]);
    expect(modelReportLines(null)).toEqual([]);
    expect(pullRequestBody('https://cf/t', ORIGIN, { ...FIXED, fixer: 'prettier', model: null })).not.toContain(
      'Model',
    );
  });
});
