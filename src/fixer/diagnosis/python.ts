// Recognizers for Python tools: pytest, mypy, ruff (check and format), black, isort, poetry, uv.
// Patterns follow the tools' own output, captured in test/fixtures/outputs/ (ruff and uv from
// their documentation: neither installs on these machines).
import { collect, Findings, lastMatch, scanned, withSummary } from './scan.js';
import type { Recognition, Recognizer } from './types.js';

const PY = String.raw`[^\s:]+\.(?:py|pyi|ipynb)`;

// pytest: "FAILED tests/test_x.py::test_add - assert 3 == 4" (short summary, -ra is the default
// for failures), "tests/test_x.py::test_add FAILED  [ 50%]" (verbose), "ERROR tests/test_x.py - …"
// (collection), "tests/test_x.py:5: AssertionError" (traceback), and the closing
// "==== 1 failed, 1 passed in 0.03s ====" / "==== no tests ran in 0.01s ====".
const PYTEST_FAILED = new RegExp(String.raw`^(?:FAILED|ERROR) (${PY})(?:::\S+)?(?: - .*)?$`);
const PYTEST_VERBOSE = new RegExp(String.raw`^(${PY})::\S+ (?:FAILED|ERROR)\b`);
const PYTEST_TRACE = new RegExp(String.raw`^(${PY}):(\d+): (?:in \S+|\w+)$`);
const PYTEST_ASSERT = /^E {3}/;
// Two linear checks rather than one pattern with two open-ended parts.
const PYTEST_CLOSING = /^=+ .* in [\d.]+s(?: \([\d:]+\))? =+$/;
const PYTEST_FAILED_COUNT = /\b\d+ (?:failed|errors?)\b|^=+ no tests ran\b|\binterrupted\b/;
// `pytest -q` closes without the rule: "1 failed, 1 passed in 0.03s".
const PYTEST_QUIET_CLOSING =
  /^\d+ (?:failed|passed|errors?|skipped|xfailed|xpassed|warnings?|deselected)(?:, \d+ [a-z]+)* in [\d.]+s(?: \([\d:]+\))?$/;

export const pytestRecognizer: Recognizer = {
  tool: 'pytest',
  commandPattern: /\bpytest\b|\bpy\.test\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const found = new Findings();
    let failures = 0;
    let asserts = 0;
    for (const line of lines) {
      let m: RegExpMatchArray | null;
      if ((m = line.match(PYTEST_FAILED)) || (m = line.match(PYTEST_VERBOSE))) {
        failures++;
        found.at(m[1]!);
        found.line(line);
      } else if ((m = line.match(PYTEST_TRACE))) {
        found.at(m[1]!, m[2]);
        if (found.excerpt.length < 6) found.line(line);
      } else if (PYTEST_ASSERT.test(line) && asserts < 4) {
        asserts++;
        found.line(line);
      }
    }
    const closing = lastMatch(lines, PYTEST_CLOSING)?.[0] ?? lastMatch(lines, PYTEST_QUIET_CLOSING)?.[0];
    const summary = closing !== undefined && PYTEST_FAILED_COUNT.test(closing) ? closing : undefined;
    if (summary === undefined && failures === 0) return null;
    return {
      tool: 'pytest',
      category: 'test',
      // A traceback location says which line failed; the FAILED line only which file.
      locations: found.preferLines(),
      excerpt: withSummary(found.excerpt, summary),
      confidence: summary !== undefined ? 0.95 : 0.7,
    };
  },
};

// mypy: "pkg/mod.py:12: error: Incompatible return value type …  [return-value]" (":12:5:" with
// --show-column-numbers), closing "Found 1 error in 1 file (checked 3 source files)".
const MYPY_ERROR = new RegExp(String.raw`^(${PY}):(\d+)(?::(\d+))?: error: (.*)$`);
const MYPY_SUMMARY = /^Found \d+ errors? in \d+ files? \(checked \d+ source files?\)$/;

export const mypyRecognizer: Recognizer = {
  tool: 'mypy',
  commandPattern: /\bmypy\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const found = collect(lines, MYPY_ERROR);
    const summary = lastMatch(lines, MYPY_SUMMARY)?.[0];
    if (found.locations.length === 0) return null;
    return {
      tool: 'mypy',
      category: 'type',
      locations: found.locations,
      excerpt: withSummary(found.excerpt, summary),
      confidence: summary ? 0.95 : 0.75,
    };
  },
};

// ruff check, concise (and pre-0.12 full) output: "app.py:1:8: F401 [*] `os` imported but unused";
// 0.12+ full output puts the rule first and the place on an arrow line below it:
//   "F401 [*] `os` imported but unused" / " --> app.py:1:8".
// It closes with "Found 2 errors." ("Found 3 errors (3 fixed, 0 remaining).") and, when some
// are fixable, "[*] 2 fixable with the `--fix` option.".
const RUFF_CONCISE = new RegExp(String.raw`^(${PY}):(\d+):(\d+): ([A-Z]+[0-9]+|SyntaxError|invalid-syntax)\b.*$`);
const RUFF_RULE = /^([A-Z]+[0-9]+) (?:\[\*\] )?\S.*$/;
const RUFF_ARROW = new RegExp(String.raw`^\s*--> (${PY}):(\d+):(\d+)$`);
const RUFF_SUMMARY = /^Found \d+ errors?(?: \(\d+ fixed, \d+ remaining\))?\.$/;
// ruff format --check: "Would reformat: app.py" and "1 file would be reformatted, 2 files already formatted".
const RUFF_WOULD_REFORMAT = /^Would reformat: (.+)$/;
const REFORMAT_SUMMARY = /^\d+ files? would be reformatted\b.*$/;

function ruffCheck(lines: readonly string[], command: string): Recognition | null {
  const found = new Findings();
  let pendingRule: string | null = null;
  for (const line of lines) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(RUFF_CONCISE))) {
      found.at(m[1]!, m[2], m[3]);
      found.line(line);
    } else if ((m = line.match(RUFF_RULE))) {
      pendingRule = line;
    } else if (pendingRule !== null && (m = line.match(RUFF_ARROW))) {
      found.at(m[1]!, m[2], m[3]);
      found.line(pendingRule);
      found.line(line);
      pendingRule = null;
    }
  }
  const summary = lastMatch(lines, RUFF_SUMMARY)?.[0];
  // flake8 and pylint print the same path:line:col: CODE lines, but never ruff's summary.
  if (found.locations.length === 0 || (summary === undefined && !/\bruff\b/.test(command))) return null;
  const fixable = lastMatch(lines, /^\[\*\] \d+ fixable with the `--fix` option.*$/)?.[0];
  const excerpt = withSummary(found.excerpt, summary, 11);
  if (fixable !== undefined) excerpt.push(fixable);
  return { tool: 'ruff', category: 'lint', locations: found.locations, excerpt, confidence: summary ? 0.95 : 0.6 };
}

function ruffFormat(lines: readonly string[], command: string): Recognition | null {
  const found = collect(lines, RUFF_WOULD_REFORMAT);
  const summary = lastMatch(lines, REFORMAT_SUMMARY)?.[0];
  // `ruff format --diff` prints only diffs and the summary line, the same summary black prints.
  if (found.locations.length === 0 && !(summary !== undefined && /\bruff\s+format\b/.test(command))) return null;
  return {
    tool: 'ruff',
    category: 'format',
    locations: found.locations,
    excerpt: withSummary(found.excerpt, summary),
    confidence: 0.95,
  };
}

export const ruffRecognizer: Recognizer = {
  tool: 'ruff',
  commandPattern: /\bruff\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const command = input.command;
    return ruffFormat(lines, command) ?? ruffCheck(lines, command);
  },
};

// black --check: "would reformat src/app.py" per file, "Oh no! 💥 💔 💥", then
// "2 files would be reformatted, 1 file would be left unchanged."; a file it cannot parse:
// "error: cannot format src/bad.py: Cannot parse: 3:7: …" and "1 file failed to reformat.".
const BLACK_WOULD = /^would reformat (.+)$/;
const BLACK_CANNOT = /^error: cannot format (.+?): Cannot parse(?: for target version [\w.]+)?: (\d+):(\d+):/;
const BLACK_OH_NO = /^Oh no!/;
const BLACK_SUMMARY = /^\d+ files? (?:would be reformatted|failed to reformat)\b.*$/;

export const blackRecognizer: Recognizer = {
  tool: 'black',
  commandPattern: /\bblack\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const found = new Findings();
    let ohNo = false;
    for (const line of lines) {
      let m: RegExpMatchArray | null;
      if ((m = line.match(BLACK_WOULD))) {
        found.at(m[1]!);
        found.line(line);
      } else if ((m = line.match(BLACK_CANNOT))) {
        found.at(m[1]!, m[2], m[3]);
        found.line(line);
      } else if (BLACK_OH_NO.test(line)) ohNo = true;
    }
    if (found.locations.length === 0 && !ohNo) return null;
    const summary = lastMatch(lines, BLACK_SUMMARY)?.[0];
    return {
      tool: 'black',
      category: 'format',
      locations: found.locations,
      excerpt: withSummary(found.excerpt, summary),
      confidence: ohNo ? 0.95 : 0.8,
    };
  },
};

// isort --check-only: "ERROR: /repo/src/app.py Imports are incorrectly sorted and/or formatted."
// (isort 4: "… Imports are incorrectly sorted.").
const ISORT_ERROR = /^ERROR: (.+?) Imports are incorrectly sorted(?: and\/or formatted)?\.?$/;

export const isortRecognizer: Recognizer = {
  tool: 'isort',
  commandPattern: /\bisort\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const found = collect(lines, ISORT_ERROR);
    if (found.locations.length === 0) return null;
    return {
      tool: 'isort',
      category: 'format',
      locations: found.locations,
      excerpt: found.excerpt.slice(0, 12),
      confidence: 0.95,
    };
  },
};

// Poetry 1.x: "poetry.lock is not consistent with pyproject.toml. Run `poetry lock [--no-update]`
// to fix it." (an Error from `poetry lock --check`, only a Warning from `poetry install`);
// Poetry 1.8+/2.x: "pyproject.toml changed significantly since poetry.lock was last generated.
// Run `poetry lock [--no-update]` to fix the lock file."
const POETRY_DRIFT =
  /pyproject\.toml changed significantly since poetry\.lock was last generated|poetry\.lock is not consistent with pyproject\.toml/;

export const poetryRecognizer: Recognizer = {
  tool: 'poetry',
  commandPattern: /\bpoetry\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const line = lastMatch(lines, POETRY_DRIFT)?.input;
    if (line === undefined) return null;
    // A warning alone did not fail the command: something else may have.
    const warning = /^\s*Warning:/i.test(line);
    return {
      tool: 'poetry',
      category: 'dependency',
      locations: [{ path: 'poetry.lock' }, { path: 'pyproject.toml' }],
      excerpt: [line],
      confidence: warning ? 0.5 : 0.95,
    };
  },
};

// uv lock --locked / uv sync --locked / uv run --locked (and `uv lock --check`):
// "error: The lockfile at `uv.lock` needs to be updated, but `--locked` was provided. To update
// the lockfile, run `uv lock`." (as documented and reported for uv 0.4 to 0.9).
const UV_DRIFT = /The lockfile at `([^`]+)` needs to be updated, but `--(?:locked|check)` was provided/;

export const uvRecognizer: Recognizer = {
  tool: 'uv',
  commandPattern: /\buv\b/,
  recognize(input) {
    const lines = scanned(input.lines);
    const m = lastMatch(lines, UV_DRIFT);
    if (m === null) return null;
    return {
      tool: 'uv',
      category: 'dependency',
      locations: [{ path: m[1]! }, { path: 'pyproject.toml' }],
      excerpt: [m.input!],
      confidence: 0.95,
    };
  },
};

export const pythonRecognizers: readonly Recognizer[] = [
  pytestRecognizer,
  mypyRecognizer,
  ruffRecognizer,
  blackRecognizer,
  isortRecognizer,
  poetryRecognizer,
  uvRecognizer,
];
