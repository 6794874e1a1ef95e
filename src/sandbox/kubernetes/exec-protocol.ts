// How a command travels into the sandbox pod. Pure, so every quoting and framing rule is unit-tested.
//
// The exec URL carries only a constant wrapper script. Everything variable (the command, its
// environment, the working directory, the time bound) goes over stdin as one base64 header line,
// followed by exactly `stdinBytes` bytes of the command's own stdin. So:
//   - credentials in `env` never appear in a URL, where API server audit logs would keep them;
//   - no value is ever interpolated into a shell word unquoted (the header is single-quoted
//     assignments, decoded and evaluated by the wrapper);
//   - the payload is length-delimited (`head -c`), so binary data, a line that says EOF, or a
//     missing trailing newline all arrive intact, with or without a stdin close signal.
// One marker line on stdout comes before the command's output: the pid of the `timeout` process
// that leads the command's process group, so a cancel can kill the group from a second exec
// (closing the websocket alone leaves the command running in the pod).
import type { V1Status } from '@kubernetes/client-node';
import { ValidationError } from '../../errors.js';
import { shellQuote } from '../../shared/shell.js';

export const PID_MARKER = 'ci-fixer-pid ';
export const SETUP_ERROR_MARKER = 'ci-fixer-setup-error ';
/** Exit code of the wrapper when it could not set the command up (see SETUP_ERROR_MARKER). */
export const SETUP_EXIT_CODE = 125;
/** readFile's exit code for a missing file. */
export const NO_SUCH_FILE_EXIT_CODE = 66;

// `timeout` (coreutils, not --foreground) makes itself a process group leader and, on expiry or
// on SIGTERM, signals the whole group, then SIGKILLs it after -k. Its child announces timeout's
// pid ($PPID). The wrapper stays outside that group and exits normally with timeout's status, so
// a killed command reads as exit 124/137/143 on every runtime instead of "the exec process died
// of a signal" (which some runtimes report as an internal error). `head -c` hands the command
// exactly its stdin bytes.
// When the command returns, whatever it left running in its group (a background server, a
// `sleep &` of the repository's scripts or the model's) is SIGKILLed, so nothing outlives its
// command: later runs, and the verdict, see only what the files say. `timeout` runs as a
// background job only to learn its pid (the group's id); the exec's stdin is passed as fd 3, since a
// background job's own stdin is /dev/null before any redirection of it.
const WRAPPER = [
  'IFS= read -r h || { echo "ci-fixer-setup-error header"; exit 125; }',
  'd=$(printf %s "$h" | base64 -d) || { echo "ci-fixer-setup-error header"; exit 125; }',
  'eval "$d" || { echo "ci-fixer-setup-error header"; exit 125; }',
  'unset h d',
  'if [ "$CIF_MKDIR" = 1 ]; then mkdir -p -- "$CIF_DIR" 2>/dev/null; fi',
  'cd -- "$CIF_DIR" 2>/dev/null || { echo "ci-fixer-setup-error dir"; exit 125; }',
  'if [ -n "$CIF_CWD" ]; then cd -- "$CIF_CWD" 2>/dev/null || { echo "ci-fixer-setup-error cwd"; exit 125; }; fi',
  'exec 3<&0',
  'timeout -k "$CIF_KILL" "$CIF_LIMIT" sh -c \'echo "ci-fixer-pid $PPID"; head -c "$0" | sh -c "$1"\' "$CIF_STDIN" "$CIF_CMD" <&3 3<&- &',
  'p=$!',
  'wait "$p"',
  'r=$?',
  'kill -s KILL -- "-$p" 2>/dev/null',
  'exit $r',
].join('\n');

/** argv of every exec: constant, so nothing task-specific reaches the URL. */
export const EXEC_ARGV: readonly string[] = ['sh', '-c', WRAPPER, 'ci-fixer-exec'];

export interface ExecSpec {
  /** Directory the command runs from; relative paths are taken from the container's workingDir. */
  dir: string;
  /** Create `dir` first (only the sandbox's first exec does). */
  mkdir?: boolean;
  /** Relative to `dir`; must exist. */
  cwd?: string;
  command: string;
  env?: Record<string, string>;
  /** The remote bound: `timeout` kills the process group after this, even if the worker died. */
  limitMs: number;
  killGraceMs: number;
  stdinBytes: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function noNul(value: string, field: string): string {
  if (value.includes('\0'))
    throw new ValidationError(`${field} must not contain NUL characters`, { details: { field } });
  return value;
}

function seconds(ms: number): string {
  return `${(Math.max(1, Math.ceil(ms)) / 1000).toFixed(3)}s`;
}

/** The shell assignments the wrapper evaluates; every value single-quoted. */
export function execHeaderScript(spec: ExecSpec): string {
  const lines = [
    `CIF_DIR=${shellQuote(noNul(spec.dir, 'dir'))}`,
    `CIF_MKDIR=${spec.mkdir === true ? 1 : 0}`,
    `CIF_CWD=${shellQuote(noNul(spec.cwd ?? '', 'cwd'))}`,
    `CIF_CMD=${shellQuote(noNul(spec.command, 'command'))}`,
    `CIF_LIMIT=${seconds(spec.limitMs)}`,
    `CIF_KILL=${seconds(spec.killGraceMs)}`,
    `CIF_STDIN=${Math.max(0, Math.floor(spec.stdinBytes))}`,
  ];
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    if (!ENV_NAME.test(name) || name.startsWith('CIF_')) {
      throw new ValidationError(`invalid environment variable name: ${JSON.stringify(name)}`, {
        details: { field: 'env' },
      });
    }
    lines.push(`export ${name}=${shellQuote(noNul(value, `env.${name}`))}`);
  }
  return lines.join('\n');
}

/** Everything the exec writes to stdin, in order: the header line, then the command's stdin. */
export function execStdin(spec: ExecSpec, stdin?: Uint8Array): Buffer {
  const header = Buffer.from(
    `${Buffer.from(execHeaderScript({ ...spec, stdinBytes: stdin?.byteLength ?? 0 })).toString('base64')}\n`,
  );
  return stdin === undefined || stdin.byteLength === 0 ? header : Buffer.concat([header, stdin]);
}

export type ExitStatus = { kind: 'exited'; exitCode: number } | { kind: 'error'; message: string };

/**
 * The exit code from the status channel's v1.Status. Success is 0; NonZeroExitCode carries the
 * code as an ExitCode cause. Anything else is an error, never a silent 0.
 */
export function parseExecStatus(status: V1Status): ExitStatus {
  if (status.status === 'Success') return { kind: 'exited', exitCode: 0 };
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (cause !== undefined && Number.isInteger(code) && code >= 0 && code <= 255)
      return { kind: 'exited', exitCode: code };
  }
  return { kind: 'error', message: status.message ?? `exec failed: ${JSON.stringify(status)}` };
}

export type WrapperMarker =
  | { kind: 'pid'; pid: number }
  | { kind: 'setup-error'; what: string }
  | { kind: 'unknown'; line: string };

export function parseMarkerLine(line: string): WrapperMarker {
  if (line.startsWith(PID_MARKER)) {
    const pid = Number(line.slice(PID_MARKER.length));
    if (Number.isInteger(pid) && pid > 1) return { kind: 'pid', pid };
  }
  if (line.startsWith(SETUP_ERROR_MARKER)) return { kind: 'setup-error', what: line.slice(SETUP_ERROR_MARKER.length) };
  return { kind: 'unknown', line };
}

/** Stops the process group led by `pid` (a `timeout` process: TERM makes it TERM, then KILL, its group). */
export function killGroupCommand(pid: number, signal: 'TERM' | 'KILL'): string {
  if (!Number.isInteger(pid) || pid <= 1)
    throw new ValidationError(`invalid pid ${pid}`, { details: { field: 'pid' } });
  return `kill -s ${signal} ${pid} 2>/dev/null; kill -s ${signal} -- -${pid} 2>/dev/null; exit 0`;
}

/** Writes stdin to `path` (parents created) and checks every byte arrived. */
export function writeFileCommand(path: string, size: number): string {
  const p = shellQuote(noNul(path, 'path'));
  return `p=${p}; mkdir -p -- "$(dirname -- "$p")" && cat > "$p" && test "$(wc -c < "$p")" -eq ${Math.floor(size)}`;
}

/** Copies the file to stdout; a missing file exits NO_SUCH_FILE_EXIT_CODE. */
/** Prints at most `maxBytes` of the file's head (head -c: the pod never sends more). */
export function readFileCommand(path: string, maxBytes: number): string {
  const p = shellQuote(noNul(path, 'path'));
  const n = Math.max(0, Math.floor(maxBytes));
  return `p=${p}; if [ ! -e "$p" ]; then exit ${NO_SUCH_FILE_EXIT_CODE}; fi; exec head -c ${n} -- "$p"`;
}

/** A sandbox path: relative ones are taken from the workdir. */
export function resolveSandboxPath(workdir: string, requested: string): string {
  if (typeof requested !== 'string' || requested.length === 0 || requested.includes('\0')) {
    throw new ValidationError(`invalid sandbox path: ${JSON.stringify(requested)}`, { details: { field: 'path' } });
  }
  const joined = requested.startsWith('/') ? requested : `${workdir.replace(/\/+$/, '')}/${requested}`;
  // Normalise without touching the file system: the path is resolved inside the pod, not here.
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}
