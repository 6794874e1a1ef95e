// What ci-fixer writes back on GitHub.
import { describe, expect, it } from 'vitest';
import { assertFixBranch } from '../../src/github/fix-delivery.js';
import {
  checkConclusion,
  checkOutput,
  commentBody,
  commitMessage,
  fixBranchName,
  pullRequestBody,
  type TaskOutcome,
} from '../../src/github/report-text.js';
import type { FixResult, GitHubOrigin } from '../../src/task.js';

const ORIGIN: GitHubOrigin = {
  event: 'workflow_run',
  deliveryId: 'd',
  repository: { fullName: 'o/r', cloneUrl: 'https://github.com/o/r.git', defaultBranch: 'main' },
  headSha: '3484a3fb816e0859fd6e1cea078d76385ff50625',
  headBranch: 'feature',
  headRepository: 'o/r',
  pullRequests: [7],
  workflow: { name: 'CI', path: '.github/workflows/ci.yml' },
  runId: 1,
  checkRun: null,
  failedJob: 'lint',
  installationId: 1,
};
const PATCH = 'diff --git a/x.js b/x.js\n--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a  =  1\n+a = 1;\n';
const FIXED: FixResult = {
  outcome: 'fixed',
  fixer: 'prettier',
  patch: PATCH,
  patchTruncated: false,
  patchStats: { files: 1, added: 1, removed: 1 },
  commands: [
    { command: 'npx prettier --check .', exitCode: 1, durationMs: 1200, timedOut: false },
    { command: 'npx prettier --write .', exitCode: 0, durationMs: 900, timedOut: false },
    { command: 'npx prettier --check .', exitCode: 0, durationMs: 800, timedOut: false },
  ],
  proof: {
    sandbox: 'kubernetes:ci-fixer-sandboxes/ci-fixer-sandbox-t-proof',
    commit: '3484a3fb816e0859fd6e1cea078d76385ff50625',
    patchSha256: 'a'.repeat(64),
    command: 'npx prettier --check .',
    exitCode: 0,
    durationMs: 800,
  },
};
const outcome = (patch: Partial<TaskOutcome>): TaskOutcome => ({
  state: 'succeeded',
  spec: {
    repo: { url: 'https://github.com/o/r.git', ref: ORIGIN.headSha },
    command: 'npx prettier --check .',
    commandSource: 'workflow',
    github: ORIGIN,
  },
  result: FIXED,
  error: null,
  ...patch,
});

describe('GitHub report text', () => {
  it('gives the check a conclusion that never fails the commit', () => {
    expect(checkConclusion(outcome({}))).toBe('success');
    expect(checkConclusion(outcome({ result: { ...FIXED, outcome: 'not_fixed', patch: '' } }))).toBe('neutral');
    expect(checkConclusion(outcome({ state: 'failed', result: null, error: { code: 'x', message: 'y' } }))).toBe(
      'neutral',
    );
    expect(checkConclusion(outcome({ state: 'cancelled', result: null }))).toBe('cancelled');
  });

  it('summarises outcome, fixer, commands with exit codes and the task link, with the patch in the text', () => {
    const out = checkOutput(outcome({}), {
      taskUrl: 'https://cf.example/api/v1/tasks/t1',
      pullRequestUrl: 'https://github.com/o/r/pull/8',
    });
    expect(out.title).toBe('Fixed by prettier');
    expect(out.summary).toContain('**Outcome:** fixed');
    expect(out.summary).toContain('**Fixer:** prettier');
    expect(out.summary).toContain('**Command** (from workflow): `npx prettier --check .`');
    expect(out.summary).toContain('| `npx prettier --check .` | 1 | 1.2 |');
    expect(out.summary).toContain('| `npx prettier --write .` | 0 | 0.9 |');
    expect(out.summary).toContain('https://cf.example/api/v1/tasks/t1');
    expect(out.summary).toContain('https://github.com/o/r/pull/8');
    expect(out.text).toContain(`\`\`\`diff\n${PATCH}\`\`\``);
  });

  it('shows the patch size in the check run and the pull request body', () => {
    const out = checkOutput(outcome({}), { taskUrl: 'https://cf.example/api/v1/tasks/t1' });
    expect(out.summary).toContain('**Patch:** 1 file changed, +1 -1 lines');
    const body = pullRequestBody('https://cf.example/api/v1/tasks/t1', ORIGIN, {
      ...FIXED,
      patchStats: { files: 3, added: 12, removed: 4 },
    });
    expect(body).toContain('Patch: 3 files changed, +12 -4 lines');
  });

  it('keeps long patches inside a closed fence under GitHub limits', () => {
    const huge = { ...FIXED, patch: `${'+'.repeat(100)}\n`.repeat(2000) };
    const out = checkOutput(outcome({ result: huge }), { taskUrl: '/t' });
    expect(out.text!.length).toBeLessThan(65_535);
    expect(out.text).toMatch(/```\n_The patch was cut/);
    const comment = commentBody('/t', ORIGIN, huge, null);
    expect(comment.length).toBeLessThan(65_535);
    expect(comment.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('writes one commit message with a trailer naming the task, on a ci-fixer branch', () => {
    const message = commitMessage('0b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b', ORIGIN, FIXED, 'npx prettier --check .');
    expect(message.split('\n')[0]).toBe('ci-fixer: fix "lint" with prettier');
    expect(message.trimEnd().split('\n').pop()).toBe('Ci-Fixer-Task: 0b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b');
    expect(fixBranchName(ORIGIN.headSha, '0b7e1c2a-3f4d-4e5f-8a9b-0c1d2e3f4a5b')).toBe('ci-fixer/3484a3f-0b7e1c2a');
  });

  it('never accepts a default, failing or non-ci-fixer branch as the push target', () => {
    expect(() => assertFixBranch('ci-fixer/3484a3f-0b7e1c2a', ORIGIN)).not.toThrow();
    expect(() => assertFixBranch('main', ORIGIN)).toThrow(/refusing to push/);
    expect(() => assertFixBranch('feature', ORIGIN)).toThrow(/refusing to push/);
    expect(() =>
      assertFixBranch('ci-fixer/x', { ...ORIGIN, repository: { ...ORIGIN.repository, defaultBranch: 'ci-fixer/x' } }),
    ).toThrow(/refusing/);
  });

  it('shows the diagnosis for fixed and unfixed tasks alike, every fixer kept, and why a task was not fixed', () => {
    const diagnosis = {
      tool: 'eslint' as const,
      category: 'lint' as const,
      step: { index: 0, command: 'npx eslint .' },
      locations: [{ path: 'lib/option.js', line: 12, column: 5 }],
      excerpt: ['lib/option.js', '  12:5  error  Unexpected var  no-var'],
      summary: 'eslint failed in lib/option.js:12 (lint)',
    };
    const both: FixResult = {
      ...FIXED,
      fixer: 'eslint',
      fixers: ['eslint', 'prettier'],
      diagnosis,
      reason: null,
      model: null,
    };
    const spec = { ...outcome({}).spec, command: 'npx eslint . && npx prettier --check .' };
    const fixed = checkOutput(outcome({ result: both, spec }), { taskUrl: '/t' });
    expect(fixed.title).toBe('Fixed by eslint, prettier');
    expect(fixed.summary).toContain('**Fixers:** eslint, prettier');
    expect(fixed.summary).toContain(
      '**Diagnosis:** eslint failed in lib/option.js:12 (lint), at step 1: `npx eslint .`',
    );
    expect(fixed.summary).toContain(
      'Verified on a fresh checkout of 3484a3fb816e0859fd6e1cea078d76385ff50625: `npx prettier --check .` exited 0.',
    );
    expect(fixed.summary).not.toContain('```text');
    expect(commitMessage('t', ORIGIN, both, spec.command).split('\n')[0]).toBe(
      'ci-fixer: fix "lint" with eslint, prettier',
    );
    expect(pullRequestBody('/t', ORIGIN, both)).toContain('fixed it with **eslint, prettier**');
    expect(pullRequestBody('/t', ORIGIN, both)).toContain('Diagnosis: eslint failed in lib/option.js:12 (lint)');
    expect(pullRequestBody('/t', ORIGIN, both)).toContain(
      'Verified on a fresh checkout of 3484a3fb816e0859fd6e1cea078d76385ff50625: `npx prettier --check .` exited 0.',
    );
    expect(commentBody('/t', ORIGIN, both, null)).toContain('with **eslint, prettier**.');

    const testFailure = {
      ...diagnosis,
      tool: 'node-test' as const,
      category: 'test' as const,
      step: { index: 0, command: 'node --test' },
      summary: 'node-test failed in test/sum.test.js:5 (test)',
      excerpt: ['✖ adds two numbers', 'AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:'],
    };
    const unfixed: FixResult = {
      ...FIXED,
      outcome: 'not_fixed',
      fixer: null,
      fixers: [],
      patch: '',
      diagnosis: testFailure,
      reason: 'no fixer recognises this failure',
    };
    const out = checkOutput(outcome({ result: unfixed, spec: { ...spec, command: 'node --test' } }), { taskUrl: '/t' });
    expect(out.title).toBe('Reproduced, no fix found');
    expect(out.summary).toContain('**Diagnosis:** node-test failed in test/sum.test.js:5 (test)\n');
    expect(out.summary).toContain('**Reason:** no fixer recognises this failure');
    expect(out.summary).toContain('```text\n✖ adds two numbers\nAssertionError [ERR_ASSERTION]');
    expect(out.summary).not.toContain('**Fixer');
    expect(out.text).toBeUndefined();
  });
});
