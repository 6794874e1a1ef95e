// One command of the local sandbox: `sh -c` in its own process group, output streamed line by
// line, and a guarantee that nothing in the group outlives its time bound.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import type { ExecOptions } from './types.js';
import { LineSplitter } from './line-splitter.js';

export type KillReason = 'timeout' | 'abort' | 'dispose';

export interface ProcessOutcome {
  exitCode: number;
  timedOut: boolean;
  durationMs: number;
  /** Why we killed the group, or null when the command ended by itself. */
  killedBy: KillReason | null;
}

export interface ProcessSpec {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  killGraceMs: number;
  /** Wrap in coreutils `timeout` (see BACKSTOP below); false when it is not available. */
  backstop: boolean;
  stdin?: Uint8Array;
  onOutput?: ExecOptions['onOutput'];
  signal?: AbortSignal;
}

export interface RunningProcess {
  readonly done: Promise<ProcessOutcome>;
  /** Kills the whole group at once (no grace); `done` then resolves with killedBy 'dispose'. */
  terminate(): void;
}

// BACKSTOP: our own timer kills the group on time, but only while this Node process lives. If the
// worker is SIGKILLed (OOM killer, node drain), a command would run on unbounded. So every command
// is started as `timeout -s KILL <bound> sh -c …`: coreutils `timeout` is a separate process that
// keeps its deadline when we die, and on expiry SIGKILLs its whole process group (it does not use
// --foreground), itself included. SIGKILL rather than TERM-then-KILL (`-k`), because `timeout`
// stops caring once its direct child exits, so a grandchild that ignores SIGTERM would survive.
// The graceful SIGTERM comes from our timer: the backstop's bound is ours plus the grace plus a
// margin, so normally our timer fires first and the exit code stays the command's own (`timeout`
// passes its child's exit status through and re-raises its death signal). Alternatives were
// weaker: prctl(PR_SET_PDEATHSIG) is not reachable from Node, and a watchdog process per command
// would be a hand-written `timeout`.
const BACKSTOP_MARGIN_MS = 2000;
/** After the group leader exits, how long to wait for pipes held by escaped processes. */
const CLOSE_WAIT_MS = 2000;
/** setTimeout fires immediately above this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Every command's processes carry this variable (a fresh value per command): one that left the
 * group (`setsid`, a daemon's double fork) still inherits it, and is found by it in /proc.
 */
export const EXEC_MARKER_ENV = 'CI_FIXER_SANDBOX_EXEC';

/**
 * SIGKILLs every process of this user whose environment holds `marker` (Linux /proc; elsewhere a
 * no-op). A process that clears its own environment escapes this; the Kubernetes driver's pod
 * boundary has no such gap.
 */
export async function killMarked(marker: string): Promise<number> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return 0;
  }
  const needle = Buffer.from(`\0${marker}\0`);
  let killed = 0;
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
      .map(async (name) => {
        const environ = await readFile(`/proc/${name}/environ`).catch(() => null);
        if (environ === null || !Buffer.concat([Buffer.from([0]), environ]).includes(needle)) return;
        try {
          process.kill(Number(name), 'SIGKILL');
          killed++;
        } catch {
          // Gone already, or not ours.
        }
      }),
  );
  return killed;
}

export async function probeTimeoutBackstop(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('timeout', ['-s', 'KILL', '5s', 'sh', '-c', 'exit 0'], { timeout: 5000 }, (err) => resolve(err === null));
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const signo = signal === null ? undefined : constants.signals[signal];
  return 128 + (signo ?? 0);
}

export function startProcessGroup(spec: ProcessSpec): RunningProcess {
  const started = performance.now();
  const timeoutMs = Math.min(Math.max(1, Math.floor(spec.timeoutMs)), MAX_TIMER_MS);
  const argv = spec.backstop
    ? ['timeout', '-s', 'KILL', seconds(timeoutMs + spec.killGraceMs + BACKSTOP_MARGIN_MS), 'sh', '-c', spec.command]
    : ['sh', '-c', spec.command];
  // detached: the child calls setsid(), so its pid is the id of a new process group that every
  // descendant joins unless it deliberately leaves; killing -pid reaches them all.
  const marker = `${EXEC_MARKER_ENV}=${randomUUID()}`;
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: spec.cwd,
    env: { ...spec.env, [EXEC_MARKER_ENV]: marker.slice(EXEC_MARKER_ENV.length + 1) },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  let killedBy: KillReason | null = null;
  let graceTimer: NodeJS.Timeout | undefined;
  let closeTimer: NodeJS.Timeout | undefined;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let sweep: Promise<unknown> = Promise.resolve();

  const killGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // ESRCH: the group is already empty.
    }
  };
  const requestKill = (reason: KillReason, immediate: boolean): void => {
    if (exited !== undefined) return;
    if (killedBy === null) killedBy = reason;
    if (immediate) {
      killGroup('SIGKILL');
      return;
    }
    killGroup('SIGTERM');
    graceTimer ??= setTimeout(() => killGroup('SIGKILL'), spec.killGraceMs);
  };

  const timeoutTimer = setTimeout(() => requestKill('timeout', false), timeoutMs);
  const onAbort = (): void => requestKill('abort', false);
  spec.signal?.addEventListener('abort', onAbort, { once: true });

  const splitters = {
    stdout: new LineSplitter((line) => spec.onOutput?.('stdout', line)),
    stderr: new LineSplitter((line) => spec.onOutput?.('stderr', line)),
  };
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = child[name];
    stream.on('data', (chunk: Buffer) => splitters[name].push(chunk));
    stream.on('end', () => splitters[name].end());
    stream.on('error', () => undefined);
  }
  // A command that never reads stdin must not make us crash with EPIPE.
  child.stdin.on('error', () => undefined);
  child.stdin.end(spec.stdin === undefined ? undefined : Buffer.from(spec.stdin));

  const done = new Promise<ProcessOutcome>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timeoutTimer);
      clearTimeout(graceTimer);
      clearTimeout(closeTimer);
      spec.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      // Spawn failures only (ENOENT, EAGAIN): no 'exit' follows.
      if (exited !== undefined) return;
      cleanup();
      reject(err);
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      // Whatever the command left running in its group (background jobs, daemons) goes with it,
      // and so does anything that left the group (setsid) but still carries the command's marker.
      killGroup('SIGKILL');
      sweep = killMarked(marker);
      clearTimeout(graceTimer);
      closeTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, CLOSE_WAIT_MS);
    });
    child.on('close', async () => {
      if (exited === undefined) return;
      await sweep.catch(() => undefined);
      cleanup();
      const durationMs = Math.round(performance.now() - started);
      const exitCode = exitCodeOf(exited.code, exited.signal);
      // Past the bound without our timer having fired (a blocked event loop, or the backstop
      // struck first) is still a timeout.
      const timedOut = killedBy === 'timeout' || (killedBy === null && durationMs >= timeoutMs);
      resolve({ exitCode, timedOut, durationMs, killedBy });
    });
  });

  return { done, terminate: () => requestKill('dispose', true) };
}
