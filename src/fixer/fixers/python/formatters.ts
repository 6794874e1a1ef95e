// ruff (check --fix and format), black and isort: each re-runs the check's own invocation (its
// launcher, flags and paths) in writing mode. The tools read their settings from pyproject.toml
// (or ruff.toml, setup.cfg, .isort.cfg) themselves, so the fix follows the repository's config;
// ruff's `required-version` is enforced by ruff.
import { blackRecognizer, isortRecognizer, ruffRecognizer } from '../../diagnosis/python.js';
import { withoutFlags } from '../invocation.js';
import { commandLine, toolFixer } from '../tool-fixer.js';

/** Python sources, as the tools take them by name. */
const PYTHON = /\.pyi?$/;

export const ruffFixer = toolFixer({
  name: 'ruff',
  ecosystem: 'python',
  tool: 'ruff',
  recognizer: ruffRecognizer,
  repairs: (r) => r.category === 'lint',
  head: /ruff\s+check/,
  fix: (inv) =>
    commandLine(
      inv.launcher + inv.program,
      '--fix',
      withoutFlags(
        inv.args,
        [
          '--fix',
          '--no-fix',
          '--diff',
          '--exit-zero',
          '--exit-non-zero-on-fix',
          '--statistics',
          '--show-fixes',
          '--watch',
          '-w',
          '-e',
        ],
        ['--output-format', '--format'],
      ),
    ),
  fallback: { launcher: '', program: 'ruff check', args: ['.'] },
  files: PYTHON,
});

export const ruffFormatFixer = toolFixer({
  name: 'ruff-format',
  ecosystem: 'python',
  tool: 'ruff',
  recognizer: ruffRecognizer,
  repairs: (r) => r.category === 'format',
  head: /ruff\s+format/,
  fix: (inv) => commandLine(inv.launcher + inv.program, withoutFlags(inv.args, ['--check', '--diff'])),
  fallback: { launcher: '', program: 'ruff format', args: ['.'] },
  files: PYTHON,
});

export const blackFixer = toolFixer({
  name: 'black',
  ecosystem: 'python',
  tool: 'black',
  recognizer: blackRecognizer,
  // "cannot format …: Cannot parse" is a syntax error black cannot repair.
  repairs: (r) => r.excerpt.some((line) => line.startsWith('would reformat')),
  head: /black/,
  fix: (inv) =>
    commandLine(inv.launcher + inv.program, withoutFlags(inv.args, ['--check', '--diff', '--color', '--no-color'])),
  fallback: { launcher: '', program: 'black', args: ['.'] },
  files: PYTHON,
});

export const isortFixer = toolFixer({
  name: 'isort',
  ecosystem: 'python',
  tool: 'isort',
  recognizer: isortRecognizer,
  repairs: () => true,
  head: /isort/,
  fix: (inv) =>
    commandLine(
      inv.launcher + inv.program,
      withoutFlags(inv.args, ['--check-only', '--check', '-c', '--diff', '--df', '--color']),
    ),
  fallback: { launcher: '', program: 'isort', args: ['.'] },
  files: PYTHON,
});
