// black and isort on real broken repositories through the real pipeline on the local sandbox;
// ruff (check --fix, format) only on its documented output, as ruff does not install here: its
// fixers detect the failure and report the tool missing.
import { describe, expect, it } from 'vitest';
import { PYTHON_CASES } from '../../scripts/lib/fixtures/python.js';
import { usePipelineEnvironment } from '../support/fix-pipeline.js';
import { caseRepo, expectFixedBy, expectToolMissing, replayCase, runWithoutTools } from '../support/fixer-cases.js';

const { fixtures, provider } = usePipelineEnvironment();
const PYPROJECT = { 'pyproject.toml': '[tool.ruff]\nline-length = 100\n' };

describe('python formatters', () => {
  it('black rewrites what `black --check` flags, with pyproject.toml line length', async () => {
    const patch = await expectFixedBy(fixtures, provider(), 'black', PYTHON_CASES.black, 'black', 'black app');
    expect(patch).toContain('+def greet(name):\n+    return "hello, " + name');
    // [tool.black] line-length = 100: the 92-column line stays one line.
    expect(patch).toContain(
      '+    return os.path.join("a_rather_long_directory_name", "another_directory", "a_file", name)',
    );
  });

  it('isort sorts what `isort --check-only` flags, with the profile from pyproject.toml', async () => {
    const patch = await expectFixedBy(fixtures, provider(), 'isort', PYTHON_CASES.isort, 'isort', 'isort .');
    expect(patch).toContain(
      '-import sys\n import os\n+import sys\n from collections import ChainMap, Counter, OrderedDict, defaultdict, deque, namedtuple\n',
    );
  });

  it('black missing from the sandbox: the fixer says how to get it, and nothing crashes', async () => {
    // The CI log black printed elsewhere, replayed in a sandbox whose PATH has no black.
    const repo = await caseRepo(fixtures, 'black-missing', replayCase('black', 'black', PYPROJECT));
    expectToolMissing(await runWithoutTools(fixtures, repo, ['black']), 'black', 'black');
  });
});

describe('ruff (documented output: ruff does not install here)', () => {
  it('ruff check output is detected by the ruff fixer, which reports ruff missing', async () => {
    const repo = await caseRepo(fixtures, 'ruff-check', replayCase('ruff', 'check-full', PYPROJECT, 1, 'ruff check .'));
    expectToolMissing(await runWithoutTools(fixtures, repo, ['ruff']), 'ruff', 'ruff');
  });

  it('ruff format --check output is detected by the ruff-format fixer', async () => {
    const repo = await caseRepo(
      fixtures,
      'ruff-format',
      replayCase('ruff', 'format-check', PYPROJECT, 1, 'ruff format --check .'),
    );
    expectToolMissing(await runWithoutTools(fixtures, repo, ['ruff']), 'ruff-format', 'ruff');
  });
});
