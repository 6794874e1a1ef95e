// poetry lock on a real repository whose lock no longer matches pyproject.toml, through the real
// pipeline on the local sandbox; uv lock only on uv's documented output (uv does not install here).
import { describe, expect, it } from 'vitest';
import { PYTHON_CASES } from '../../scripts/lib/fixtures/python.js';
import { capturedOutput } from '../support/captured-outputs.js';
import { usePipelineEnvironment } from '../support/fix-pipeline.js';
import { caseRepo, expectFixedBy, expectToolMissing, replayCase, runWithoutTools } from '../support/fixer-cases.js';

const { fixtures, provider } = usePipelineEnvironment();

describe('python lock files', () => {
  it('poetry lock --no-update (Poetry 1.x) brings poetry.lock back in step, changing only the lock', async () => {
    const patch = await expectFixedBy(
      fixtures,
      provider(),
      'poetry-lock',
      PYTHON_CASES['poetry-lock'],
      'poetry-lock',
      'poetry lock --no-update --no-interaction --no-ansi',
    );
    expect(patch.match(/^diff --git .*$/gm)).toEqual(['diff --git a/poetry.lock b/poetry.lock']);
    expect(patch).toContain('+python-versions = "^3.9"');
  });

  it('uv --locked drift (documented output) is detected by uv-lock, which reports uv missing', async () => {
    expect(capturedOutput('uv', 'lock-locked').source).toMatch(/^documented/);
    const repo = await caseRepo(
      fixtures,
      'uv-lock',
      replayCase(
        'uv',
        'lock-locked',
        { 'pyproject.toml': '[project]\nname = "demo"\nversion = "0.1.0"\n' },
        2,
        'uv sync --locked',
      ),
    );
    expectToolMissing(await runWithoutTools(fixtures, repo, ['uv']), 'uv-lock', 'uv');
  });
});
