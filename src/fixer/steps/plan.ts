// How the pipeline runs a chained command: instrumented so the sandbox records which step was
// running (a marker file outside the checkout: shell state such as `cd` is kept and the output is
// not touched), and cut down to "from the failing step on" between fix rounds.
import { shellQuote } from '../../shared/shell.js';
import type { Separator, Step } from './split.js';

/**
 * - state: changes the shell's own state (cd, export, set -e, source, a background job): replayed
 *   before a re-run step, since later steps depend on it;
 * - install: installs dependencies; replayed only when a manifest or lockfile changed;
 * - work: everything else; an earlier step that passed is not re-run between rounds.
 */
export type StepKind = 'state' | 'install' | 'work';

const STATE_BUILTINS = new Set([
  'cd',
  'pushd',
  'popd',
  'export',
  'unset',
  'set',
  'source',
  '.',
  'alias',
  'unalias',
  'umask',
  'ulimit',
  'shopt',
  'trap',
  'eval',
  'declare',
  'typeset',
  'readonly',
  'local',
  'hash',
  'nvm',
  'conda',
  'enable',
  'exec',
]);
const STATE_WORD = /(?:^|[\s;&|({])(?:cd|pushd|popd|export|unset|set|source|\.|eval|alias|umask|exec)\s/;
const ASSIGNMENT_ONLY = /^(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"[^"]*"|[^\s;&|]*)\s*)+$/;
const FUNCTION_DEF = /^(?:function\s+)?[A-Za-z_][\w-]*\s*\(\s*\)/;
const INSTALL = new RegExp(
  '^(?:sudo\\s+)?(?:[A-Z_]+=\\S*\\s+)*(?:' +
    [
      'npm\\s+(?:ci|install|i)(?:\\s|$)',
      'yarn(?:\\s+install)?(?:\\s+--?[\\w-]+(?:=\\S+)?)*\\s*$',
      'pnpm\\s+(?:install|i)(?:\\s|$)',
      'bun\\s+install',
      'corepack\\s+(?:enable|prepare)',
      '(?:python3?\\s+-m\\s+)?pip3?\\s+install',
      'poetry\\s+install',
      'uv\\s+sync',
      'pipenv\\s+(?:install|sync)',
      'go\\s+mod\\s+download',
      'cargo\\s+fetch',
      'bundle\\s+install',
      'composer\\s+install',
    ].join('|') +
    ')',
);

/** Files whose change makes an install step worth running again. */
export const MANIFESTS = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  '.yarnrc.yml',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'bun.lockb',
  'bun.lock',
  'pyproject.toml',
  'poetry.lock',
  'uv.lock',
  'Pipfile',
  'Pipfile.lock',
  'setup.py',
  'setup.cfg',
  'go.mod',
  'go.sum',
  'Cargo.toml',
  'Cargo.lock',
  'Gemfile',
  'Gemfile.lock',
  'composer.json',
  'composer.lock',
]);

export function isManifest(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return MANIFESTS.has(base) || /^requirements[\w.-]*\.txt$/.test(base) || /^constraints[\w.-]*\.txt$/.test(base);
}

/** Pure: what kind of step this is (see StepKind). */
export function stepKind(command: string): StepKind {
  const text = command.trim();
  if (INSTALL.test(text)) return 'install';
  const first = text.split(/\s+/, 1)[0] ?? '';
  if (STATE_BUILTINS.has(first) || ASSIGNMENT_ONLY.test(text) || FUNCTION_DEF.test(text)) return 'state';
  // A compound command or a background job that may change state stays with its followers.
  if (/^(?:if|for|while|until|case|\{)\s/.test(text) && STATE_WORD.test(text)) return 'state';
  if (text.replace(/&&|[<>]&|&>|\|&/g, '').includes('&')) return 'state';
  return 'work';
}

/**
 * The shell options a chained command runs under, the way CI runners run a `run:` block (GitHub
 * Actions' `bash` shell is `bash -eo pipefail`, its default `bash -e`): errexit, so a failing line
 * fails the command instead of the last line deciding, and pipefail where the sandbox's `sh` has
 * it (bash, busybox ash; Debian's dash has not). The probe runs in a subshell because an unknown
 * `set -o` is a fatal error in dash; the `if` leaves `$?` at 0 for a first step that reads it.
 */
export const SHELL_OPTIONS = 'set -e; if (set -o pipefail) 2>/dev/null; then set -o pipefail; fi\n';

/**
 * Writes the marker and leaves `$?` as it found it, for steps that read the previous one's status.
 * `&& :` keeps the restored status from tripping errexit: a failure left of `&&` never does.
 */
function marker(index: number, markerPath: string, keepStatus: boolean): string {
  const write = `printf '%s' ${index} 2>/dev/null > ${shellQuote(markerPath)}`;
  return keepStatus ? `__cifx_rc=$?; ${write}; (exit $__cifx_rc) && :` : write;
}

function joiner(separator: Separator): string {
  return separator === '&&' ? ' && ' : separator === ';' ? ';\n' : '\n';
}

/**
 * The steps as one script under SHELL_OPTIONS, each in a brace group (which runs in the current
 * shell, so `cd` and `export` carry over) that first writes its index to `markerPath`: errexit
 * stops the script inside the failing step's group, so the marker names it. The newline before the
 * closing brace keeps a trailing comment or here-document intact.
 */
export function instrumented(steps: readonly Step[], markerPath: string): string {
  return SHELL_OPTIONS + groups(steps, markerPath);
}

function groups(steps: readonly Step[], markerPath: string): string {
  return steps
    .map((step, i) => {
      const group = `{ ${marker(step.index, markerPath, step.command.includes('$?'))}; ${step.command}\n}`;
      return i === steps.length - 1 ? group : group + joiner(step.separator);
    })
    .join('');
}

/** The steps as one plain script, each in a brace group, joined as the command joined them. */
export function asScript(steps: readonly Step[]): string {
  return steps.map((step, i) => `{ ${step.command}\n}${i === steps.length - 1 ? '' : joiner(step.separator)}`).join('');
}

export interface PartialRun {
  /** The script to run. */
  script: string;
  /** It runs every step: its result is also the whole command's. */
  whole: boolean;
  /** Indexes of the earlier steps it skipped. */
  skipped: number[];
}

/**
 * The command from step `from` on, after the earlier steps that set up shell state (always) and
 * install steps (only when `manifestsChanged`): the check between fix rounds. Earlier work steps
 * passed before and are not repeated; the final verification still runs the whole command.
 */
export function fromStep(
  steps: readonly Step[],
  from: number,
  markerPath: string,
  manifestsChanged: boolean,
): PartialRun {
  const start = Math.max(0, Math.min(from, steps.length - 1));
  const prelude: Step[] = [];
  const skipped: number[] = [];
  for (const step of steps.slice(0, start)) {
    const kind = stepKind(step.command);
    if (kind === 'state' || (kind === 'install' && manifestsChanged)) prelude.push(step);
    else skipped.push(step.index);
  }
  const rest = steps.slice(start);
  if (skipped.length === 0) return { script: instrumented(steps, markerPath), whole: true, skipped };
  // The replayed steps keep their own separators among themselves, and `&&` into the rest: a
  // failing `cd` must not run the checked step in the wrong folder.
  const head = prelude.map((step) => `{ ${step.command}\n} && `).join('');
  return { script: SHELL_OPTIONS + head + groups(rest, markerPath), whole: false, skipped };
}
