// The guard: a fix never weakens the check. It judges a change by its diff (per file: the lines it
// adds and deletes, and where a file holds the check's configuration among other things, the
// file's text before and after), for every fixer's final patch and for each edit of the model.
// Pure. Rules, by name (a repository's `.ci-fixer.yml` on its default branch may allow a named
// rule for a path; git-dir and ci-fixer-config are never allowed):
//   content (any fixer, any file): test-skip, suppression, test-deleted, inline-tests;
//   paths: ci-config (any fixer, any change), and for the model any change / for the deterministic
//   fixers any change that is more than formatting: check-config, task-runner, command-script,
//   package-scripts, package-tool-config, python-tool-config, cargo-tool-config, tsconfig;
//   test-file: the model on a test failure only (a lint error in a test file is fixed there). A deterministic fixer runs the repository's own formatter or
//   linter with the repository's own config on the files that check covers, test files included;
//   what such a tool writes there is its fix (prettier reformatting a test, eslint --fix), and the
//   content rules still refuse any skip, suppression or deleted test it would add; except that the
//   `generated` fixer's files (new, or marked generated) may keep their generator's suppressions.
import { inlineTestCode } from '../agent/guardrails.js';
import { reachedScriptNames } from '../diagnosis/command-tools.js';
import {
  addedSkips,
  addedSuppressions,
  CARGO_SECTIONS,
  changedSections,
  deletedTests,
  formatOnly,
  PACKAGE_TOOL_KEYS,
  PYPROJECT_SECTIONS,
  sameButWhitespace,
  SETUP_CFG_SECTIONS,
  TSCONFIG_KEYS,
} from './content.js';
import { applyFileDiff as applyDiff, type FileDiff } from './diff.js';
import { isCheckConfig, isCiConfig, isTaskRunnerFile, isTestPath, isTsconfig, namedScripts } from './paths.js';

export { applyFileDiff, parseUnifiedDiff, type FileDiff } from './diff.js';

export const GUARD_RULES = [
  'git-dir',
  'ci-fixer-config',
  'ci-config',
  'test-file',
  'test-skip',
  'test-deleted',
  'inline-tests',
  'suppression',
  'check-config',
  'task-runner',
  'command-script',
  'package-scripts',
  'package-tool-config',
  'python-tool-config',
  'cargo-tool-config',
  'tsconfig',
] as const;
export type GuardRule = (typeof GUARD_RULES)[number];
const NEVER_ALLOWED: ReadonlySet<GuardRule> = new Set(['git-dir', 'ci-fixer-config']);

export interface Refusal {
  path: string;
  rule: GuardRule;
  /** A sentence naming the file and what it would weaken (the model reads it as the tool's answer). */
  reason: string;
}

/** A repository's named exception: `path` is a glob (`*`, `**`, `?`); without `rule`, every rule but the never-allowed ones. */
export interface GuardException {
  path: string;
  rule?: GuardRule;
}

export interface GuardContext {
  /** The task's whole command: what it runs is protected. */
  command: string;
  /** Test files the diagnosis names. */
  testFiles: ReadonlySet<string>;
  /** The model made (part of) the change: every protected path is refused, formatting or not. */
  model: boolean;
  /** Test files are protected (the model on a test failure, as its guardrails always did). */
  protectTests: boolean;
  /**
   * The `generated` fixer made (part of) the change, without the model: a file the repository's own
   * generator wrote (new, or marked generated) may carry the suppressions that generator writes.
   */
  generated?: boolean;
  allow?: readonly GuardException[];
}

/** One file's change. `before`/`after`: its text, when known (null: absent on that side). */
export interface FileChange {
  path: string;
  oldPath?: string;
  status: FileDiff['status'];
  added: readonly string[];
  deleted: readonly string[];
  before?: string | null;
  after?: string | null;
}

/** Files whose text (not just their changed lines) the guard needs to judge them. */
export function needsContent(rel: string): boolean {
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  return ['package.json', 'pyproject.toml', 'setup.cfg', 'Cargo.toml'].includes(base) || rel.endsWith('.rs');
}

/** Every refusal for the change, after the repository's exceptions. */
export function judgeChange(change: FileChange, ctx: GuardContext): Refusal[] {
  const refusals = [...rawRefusals(change, ctx)];
  return refusals.filter((r) => NEVER_ALLOWED.has(r.rule) || !(ctx.allow ?? []).some((e) => excepts(e, r)));
}

function excepts(exception: GuardException, refusal: Refusal): boolean {
  return (exception.rule === undefined || exception.rule === refusal.rule) && globMatch(exception.path, refusal.path);
}

/** `*` within a path segment, `**` across segments, `?` one character. */
export function globMatch(glob: string, rel: string): boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(rel);
}

function* rawRefusals(change: FileChange, ctx: GuardContext): Generator<Refusal> {
  const paths = [...new Set([change.path, change.oldPath ?? change.path])];
  for (const path of paths) {
    if (path === '.git' || path.startsWith('.git/'))
      yield { path, rule: 'git-dir', reason: `${path}: the repository's .git directory is not part of a fix` };
    else if (path === '.ci-fixer.yml')
      yield { path, rule: 'ci-fixer-config', reason: `${path} configures ci-fixer itself and is never part of a fix` };
    else if (isCiConfig(path))
      yield { path, rule: 'ci-config', reason: `${path} is CI configuration: the check as CI runs it` };
  }
  yield* contentRefusals(change, ctx);
  const strict = ctx.model || change.status === 'deleted' || change.status === 'renamed';
  // A deterministic fixer's formatting of a protected file changes nothing it checks.
  if (!strict && formatOnly(change.added, change.deleted)) return;
  for (const path of paths) yield* pathRefusals(path, change, ctx);
}

/** A generator's mark on its output ("Code generated … DO NOT EDIT", "@generated"). */
const GENERATED_MARK = /\bCode generated\b.*\bDO NOT EDIT\b|@generated\b|\bauto-?generated\b|\bDO NOT EDIT\b/i;

/**
 * Third-party code a dependency tool copied into the repository (`go mod vendor`, an install into
 * node_modules): its own suppressions and tests were written upstream, and checkers skip these
 * folders. Only a deterministic fixer's copy is exempt; the model's edits there are judged.
 */
const VENDORED = /(^|\/)(vendor|node_modules)\//;

function* contentRefusals(change: FileChange, ctx: GuardContext): Generator<Refusal> {
  const { path, added, deleted } = change;
  if (!ctx.model && VENDORED.test(path)) return;
  const generatorOutput =
    ctx.generated === true &&
    !ctx.model &&
    (change.status === 'added' || [...added, ...deleted].some((line) => GENERATED_MARK.test(line)));
  const skips = addedSkips(added, deleted);
  if (skips.length > 0)
    yield { path, rule: 'test-skip', reason: `${path}: the change adds a test skip (${skips.join(', ')})` };
  const suppressions = generatorOutput ? [] : addedSuppressions(added, deleted);
  if (suppressions.length > 0)
    yield {
      path,
      rule: 'suppression',
      reason: `${path}: the change adds a suppression (${suppressions.join(', ')}); fix what the checker reports instead`,
    };
  const gone = deletedTests(added, deleted);
  if (gone > 0 || (change.status === 'deleted' && isTestPath(path)))
    yield {
      path,
      rule: 'test-deleted',
      reason: `${path}: the change deletes ${gone > 0 ? `${gone} test${gone === 1 ? '' : 's'}` : 'a test file'}`,
    };
  if (path.endsWith('.rs') && change.before !== undefined && change.after !== undefined) {
    const before = change.before === null ? null : inlineTestCode(path, change.before);
    const after = change.after === null ? null : inlineTestCode(path, change.after);
    if (before !== null && !sameButWhitespace(before, after))
      yield {
        path,
        rule: 'inline-tests',
        reason: `${path}: the change edits its #[cfg(test)] / #[test] code; the code under test may change, its tests may not`,
      };
  }
}

function* pathRefusals(path: string, change: FileChange, ctx: GuardContext): Generator<Refusal> {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (ctx.protectTests && (isTestPath(path) || ctx.testFiles.has(path)))
    yield { path, rule: 'test-file', reason: `${path} is a test file: fix the code under test, not the test` };
  if (isCheckConfig(path))
    yield {
      path,
      rule: 'check-config',
      reason: `${path} configures a checking tool (test runner, linter, formatter or type checker)`,
    };
  if (isTaskRunnerFile(path))
    yield { path, rule: 'task-runner', reason: `${path} defines the targets a command like \`make test\` runs` };
  if (base === 'package.json') yield* packageJsonRefusals(path, change, ctx);
  else if (base === 'pyproject.toml' || base === 'setup.cfg') {
    const sections = changedSections(
      change.before ?? null,
      change.after ?? null,
      base === 'setup.cfg' ? SETUP_CFG_SECTIONS : PYPROJECT_SECTIONS,
    );
    if (
      sections.length > 0 ||
      (change.after === undefined &&
        /^\s*(?:addopts|testpaths|python_files|markers|select|ignore|exclude|extend-ignore|per-file-ignores)\b/m.test(
          [...change.added, ...change.deleted].join('\n'),
        ))
    )
      yield {
        path,
        rule: 'python-tool-config',
        reason: `${path}: the change edits a checking tool's settings (${sections.join(', ') || 'pytest/linter options'})`,
      };
  } else if (base === 'Cargo.toml') {
    const sections = changedSections(change.before ?? null, change.after ?? null, CARGO_SECTIONS);
    if (sections.length > 0)
      yield { path, rule: 'cargo-tool-config', reason: `${path}: the change edits ${sections.join(', ')}` };
  } else if (isTsconfig(path) && [...change.added, ...change.deleted].some((line) => TSCONFIG_KEYS.test(line)))
    yield { path, rule: 'tsconfig', reason: `${path}: the change edits the type check's strictness or what it covers` };
  if (namedScripts([ctx.command, ...reachedBodies(change, ctx)]).has(path))
    yield { path, rule: 'command-script', reason: `${path} is a script the command runs` };
}

function parseJson(text: string | null | undefined): Record<string, unknown> | null {
  if (text === null || text === undefined) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function scriptsOf(pkg: Record<string, unknown> | null): Record<string, string> {
  const scripts = pkg?.scripts;
  if (typeof scripts !== 'object' || scripts === null) return {};
  return Object.fromEntries(Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The bodies of the package.json scripts the command reaches (for the shell scripts they name). */
function reachedBodies(change: FileChange, ctx: GuardContext): string[] {
  if (!change.path.endsWith('package.json')) return [];
  const scripts = scriptsOf(parseJson(change.before));
  return [...reachedScriptNames(ctx.command, scripts)].map((name) => scripts[name] as string);
}

function* packageJsonRefusals(path: string, change: FileChange, ctx: GuardContext): Generator<Refusal> {
  const before = parseJson(change.before);
  const after = parseJson(change.after);
  if (before === null || after === null) {
    // Text unknown or unparsable: any changed line about scripts or a tool's config counts.
    const lines = [...change.added, ...change.deleted].join('\n');
    if (/"scripts"\s*:|"(?:test|lint|check|pretest|posttest)"\s*:/.test(lines))
      yield { path, rule: 'package-scripts', reason: `${path}: the change edits the scripts the command runs` };
    return;
  }
  const was = scriptsOf(before);
  const now = scriptsOf(after);
  const reached = new Set([...reachedScriptNames(ctx.command, was), ...reachedScriptNames(ctx.command, now)]);
  const changed = [...reached].filter((name) => was[name] !== now[name]);
  if (changed.length > 0)
    yield {
      path,
      rule: 'package-scripts',
      reason: `${path}: the change edits the script${changed.length === 1 ? '' : 's'} the command runs (${changed.join(', ')})`,
    };
  const tools = PACKAGE_TOOL_KEYS.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  if (tools.length > 0)
    yield {
      path,
      rule: 'package-tool-config',
      reason: `${path}: the change edits checking tools' config (${tools.join(', ')})`,
    };
}

/** Which files of a patch need their text before the change (needsContent), for judgePatch. */
export function contentPaths(files: readonly FileDiff[]): string[] {
  return [...new Set(files.flatMap((f) => [f.oldPath, f.path]).filter(needsContent))];
}

/**
 * Every refusal for a whole patch. `before`: the text at the commit of the files contentPaths()
 * names (null when absent); their text after is rebuilt from the diff.
 */
export function judgePatch(
  files: readonly FileDiff[],
  before: ReadonlyMap<string, string | null>,
  ctx: GuardContext,
): Refusal[] {
  return files.flatMap((file) => {
    const change: FileChange = {
      path: file.path,
      oldPath: file.oldPath,
      status: file.status,
      added: file.added,
      deleted: file.deleted,
    };
    if (needsContent(file.path) || needsContent(file.oldPath)) {
      const old = file.status === 'added' ? null : (before.get(file.oldPath) ?? null);
      const rebuilt = applyDiff(old, file);
      if (rebuilt !== null) {
        change.before = old;
        change.after = file.status === 'deleted' ? null : rebuilt;
      }
    }
    return judgeChange(change, ctx);
  });
}

/** The refusals as one sentence for a task's reason. */
export function refusalSummary(refusals: readonly Refusal[]): string {
  const shown = refusals.slice(0, 5).map((r) => `${r.reason} [${r.rule}]`);
  return `weakens_check: ${shown.join('; ')}${refusals.length > 5 ? `; and ${refusals.length - 5} more` : ''}`;
}
