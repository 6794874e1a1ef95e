// "Generate, then demand no diff": a check that the checkout is what the command's own steps
// leave behind (`go mod tidy && git diff --exit-code`, `make fmt && test -z "$(git status
// --porcelain)"`). Its failure is a diff (or nothing, for --quiet), and the fix is to commit what
// the earlier steps generated (src/fixer/fixers/generated/).
import type { Diagnosis } from '../../task.js';
import { Findings, scanned } from './scan.js';
import type { Recognizer } from './types.js';

/** A git command that fails (or prints) when the tree differs: diff with --exit-code/--quiet, diff-index/diff-files --quiet, status --porcelain/--short. */
export const TREE_CHECK =
  /\bgit\s+(?:(?:-[Cc]\s+\S+|--no-pager)\s+)*(?:diff(?:-index|-files)?\b[^|;&\n)]*?\s--(?:exit-code|quiet)\b|status\b[^|;&\n)]*?\s(?:--porcelain\b|--short\b|-s\b))/;
/** A status check that counts untracked files too (unless told `-uno`). */
const STATUS_CHECK = /\bgit\s+(?:(?:-[Cc]\s+\S+|--no-pager)\s+)*status\b([^|;&\n)]*)/;
/** The step is the check itself (no generator of its own): `git diff …`, `test -z "$(git status …)"`, `[ -z … ]`, `if …`. */
const PURE_CHECK = /^(?:if\s+)?(?:!\s*)?(?:git\s|(?:test|\[\[?)\s+-[zn]\s+"?\$\(\s*git\s)/;

/** Pure: does the command run a tree check anywhere? */
export function namesTreeCheck(command: string): boolean {
  return TREE_CHECK.test(command);
}

/** Pure: is this step only the check, so the generation happened in the steps before it? */
export function isPureTreeCheck(step: string): boolean {
  return TREE_CHECK.test(step) && PURE_CHECK.test(step.trim());
}

/** Pure: does the check see untracked files (git status without -uno), so generated new files must be committed too? */
export function seesUntracked(step: string): boolean {
  const status = STATUS_CHECK.exec(step);
  return status !== null && !/\s(?:-uno?\b|--untracked-files=no\b)/.test(status[1] ?? '');
}

/** Pure: the pathspec a check names after `--` (`git diff --exit-code -- src/gen`), as written; null for the whole tree. */
export function checkPathspec(step: string): string[] | null {
  const match = TREE_CHECK.exec(step);
  if (match === null) return null;
  // The check's own simple command: up to the next operator, or the `)` closing `$(git status …)`.
  const words = (step.slice(match.index).split(/[|;&\n)`]/, 1)[0] ?? '').trim().split(/\s+/);
  const dashes = words.indexOf('--');
  const paths = dashes < 0 ? [] : words.slice(dashes + 1).filter((w) => w !== '' && !w.startsWith('-'));
  return paths.length > 0 ? paths : null;
}

// git diff: `diff --git a/go.mod b/go.mod`; --name-only: bare paths; --stat: ` go.sum | 4 ++++`;
// status --porcelain / -s: ` M go.mod`, `?? gen/new.go`, `R  old -> new`.
const DIFF_HEADER = /^diff --git a\/(.+) b\/(.+)$/;
const DIFF_INDEX = /^index [0-9a-f]+\.\.[0-9a-f]+/;
const STAT_LINE = /^ (\S.*?)\s+\|\s+(?:\d+|Bin\b)/;
const PORCELAIN = /^([ MADRCUT?!]{2}) (?:.+ -> )?(.+)$/;
const NAME_ONLY = /^([\w./@+-]+)$/;
const CHANGED_LINE = /^[+-](?![+-]{2} )/;
const MAX_CHANGED_LINES = 3;

function findings(lines: readonly string[], command: string): { found: Findings; gitDiff: boolean } {
  const found = new Findings();
  const status = STATUS_CHECK.test(command);
  const names = /\s--name-(?:only|status)\b/.test(command);
  let gitDiff = false;
  let inDiff = false;
  let changes = 0;
  for (const [i, line] of lines.entries()) {
    const header = line.match(DIFF_HEADER);
    if (header) {
      inDiff = true;
      gitDiff ||= DIFF_INDEX.test(lines[i + 1] ?? '') || /^(?:new|deleted) file mode/.test(lines[i + 1] ?? '');
      found.at(header[2]!);
      found.line(line);
      changes = MAX_CHANGED_LINES;
    } else if (inDiff) {
      // Inside a diff only its changed lines count: context lines can look like anything.
      if (changes > 0 && CHANGED_LINE.test(line)) {
        found.line(line);
        changes--;
      }
    } else {
      const listed =
        line.match(STAT_LINE) ?? (status ? line.match(PORCELAIN) : null) ?? (names ? line.match(NAME_ONLY) : null);
      if (listed === null) continue;
      found.at((listed[2] ?? listed[1]!).replace(/^"(.*)"$/, '$1').replace(/\/$/, ''));
      found.line(line);
    }
  }
  return { found, gitDiff };
}

export const gitDiffRecognizer: Recognizer = {
  tool: 'git-diff',
  commandPattern: TREE_CHECK,
  recognize(input) {
    if (input.exitCode === 0) return null;
    const check = namesTreeCheck(input.command);
    const { found, gitDiff } = findings(scanned(input.lines), input.command);
    // Without the check in the command (`make verify`), only git's own diff format is evidence.
    if (!check && !gitDiff) return null;
    const excerpt =
      found.excerpt.length > 0
        ? found.excerpt.slice(0, 12)
        : [`${input.command.trim().slice(0, 200)}: the tree differs (no file list printed)`];
    return {
      tool: 'git-diff',
      category: 'generated',
      locations: found.locations,
      excerpt,
      confidence: check ? 0.9 : 0.5,
    };
  },
};

/** The summary a person reads: which files the command's own steps changed and which check saw it. */
export function treeSummary(diagnosis: Omit<Diagnosis, 'summary'>): string {
  const files = diagnosis.locations.map((l) => l.path);
  const named =
    files.length === 0
      ? 'files'
      : `${files.slice(0, 3).join(', ')}${files.length > 3 ? ` (+${files.length - 3} more)` : ''}`;
  const step = diagnosis.step?.command.replace(/\s+/g, ' ');
  const check = step ? ` (\`${step.length > 60 ? `${step.slice(0, 57)}...` : step}\`)` : '';
  return `tree differs after generation: the command's own steps changed ${named} and its diff check${check} failed (generated)`;
}

export const generatedRecognizers: readonly Recognizer[] = [gitDiffRecognizer];
