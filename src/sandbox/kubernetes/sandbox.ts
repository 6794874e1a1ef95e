// A ready sandbox pod: commands and file transfers as exec websockets into its container, each
// through the wrapper of exec-protocol.ts. The pod is the isolation boundary; this class keeps the
// bookkeeping honest (real exit codes, remote kills on timeout and cancel, nothing left running
// after dispose). One class on purpose: exec, the file transfers and init all go through run(),
// whose timer and kill state would otherwise be spread over several files.
import type { KubeConfig } from '@kubernetes/client-node';
import { CancelledError, InfrastructureError, ValidationError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { LineSplitter } from '../line-splitter.js';
import { READ_MAX_BYTES, type ExecOptions, type ExecResult, type Sandbox } from '../types.js';
import { retryThrottled, THROTTLE_MAX_DELAY_MS } from './api-errors.js';
import { openExecConnection, type ExecConnection, type ExecTarget } from './exec-connection.js';
import type { ExitStatus } from './exec-protocol.js';
import {
  EXEC_ARGV,
  execStdin,
  killGroupCommand,
  NO_SUCH_FILE_EXIT_CODE,
  readFileCommand,
  resolveSandboxPath,
  writeFileCommand,
} from './exec-protocol.js';
import { MarkerReader, TailBuffer } from './exec-streams.js';
import { inTaskScope } from './kube-client.js';
import { commandOomKilled, KILLED_EXIT_CODE, OOM_COUNT_COMMAND, oomMessage, parseOomKillCount } from './oom.js';

export interface ExecTuning {
  /** SIGTERM to SIGKILL, inside the pod, when a command is stopped. */
  killGraceMs: number;
  connectTimeoutMs: number;
  heartbeatMs: number;
  staleAfterMs: number;
  /** Longest total wait of one exec whose upgrade the API server throttled (429/503) before it fails. */
  throttleWaitMs: number;
}

export interface KubernetesSandboxDeps {
  kc: KubeConfig;
  target: ExecTarget;
  taskId: string;
  jobName: string;
  /** The container's memory limit as configured ("1Gi"), for the out-of-memory report. */
  memoryLimit?: string;
  logger: Logger;
  tuning: ExecTuning;
  /** Deletes the Job (propagationPolicy Background); called once by dispose. */
  deleteJob(): Promise<void>;
  onDisposed(sandbox: KubernetesSandbox): void;
}

/** The remote `timeout` fires this long after ours, so ours decides and reports first. */
const REMOTE_MARGIN_MS = 2_000;
/** After a kill, how long the status may take before the connection is given up. */
const STATUS_GRACE_MS = 10_000;
const FILE_BASE_TIMEOUT_MS = 60_000;
const FILE_MS_PER_MIB = 2_000;

interface RunRequest {
  command: string;
  dir: string;
  mkdir?: boolean;
  cwd?: string;
  env?: Record<string, string>;
  stdin?: Uint8Array;
  timeoutMs: number;
  signal?: AbortSignal;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
  maxStdoutBytes?: number;
}

interface RunOutcome {
  exitCode: number;
  timedOut: boolean;
  durationMs: number;
  setupError: string | undefined;
}

export class KubernetesSandbox implements Sandbox {
  readonly id: string;
  private dir: string | undefined;
  private readonly running = new Set<ExecConnection>();
  private disposing: Promise<void> | undefined;
  private lostReason: string | undefined;
  private unwatch: (() => void) | undefined;
  /** The container cgroup's OOM kill count as last read (init, then after each killed command). */
  private oomKills: number | undefined;

  constructor(private readonly deps: KubernetesSandboxDeps) {
    this.id = `kubernetes:${deps.target.namespace}/${deps.jobName}`;
  }

  get workdir(): string {
    if (this.dir === undefined)
      throw new InfrastructureError('sandbox_not_initialised', 'sandbox workdir is not known before init()');
    return this.dir;
  }

  get podName(): string {
    return this.deps.target.pod;
  }

  get taskId(): string {
    return this.deps.taskId;
  }

  /** Creates the per-task working directory (below the container's workingDir) and learns its path. */
  async init(signal?: AbortSignal): Promise<void> {
    const stdout: Buffer[] = [];
    const stderr = new TailBuffer();
    const outcome = await this.run({
      // The OOM count rides along, as the baseline a killed command is compared with.
      command: `pwd -P; ${OOM_COUNT_COMMAND}`,
      dir: this.deps.jobName,
      mkdir: true,
      timeoutMs: FILE_BASE_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
      onStdout: (c) => stdout.push(c),
      onStderr: (c) => stderr.push(c),
    });
    const output = Buffer.concat(stdout).toString('utf8');
    const path = (output.split('\n')[0] ?? '').trim();
    this.oomKills = parseOomKillCount(output);
    if (outcome.setupError !== undefined || outcome.exitCode !== 0 || !path.startsWith('/')) {
      throw new InfrastructureError(
        'sandbox_init_failed',
        `could not prepare the sandbox workdir in pod ${this.podName} (exit ${outcome.exitCode}${outcome.setupError ? `, ${outcome.setupError}` : ''}): ${stderr.toString() || path}`,
      );
    }
    this.dir = path;
  }

  /** Follows the pod after readiness: running commands fail at once if it dies. */
  attachPodWatch(unwatch: () => void): void {
    this.unwatch = unwatch;
  }

  podLost(reason: string): void {
    if (this.lostReason !== undefined || this.disposing !== undefined) return;
    this.lostReason = reason;
    this.deps.logger.warn({ taskId: this.deps.taskId, pod: this.podName, reason }, 'sandbox_pod_lost');
    for (const conn of this.running) conn.terminate(this.lostError());
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    this.assertUsable();
    if (options.signal?.aborted) throw new CancelledError('command cancelled before it started');
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new ValidationError(`timeoutMs must be a positive number, got ${options.timeoutMs}`, {
        details: { field: 'timeoutMs' },
      });
    }
    const splitters = {
      stdout: new LineSplitter((line) => options.onOutput?.('stdout', line)),
      stderr: new LineSplitter((line) => options.onOutput?.('stderr', line)),
    };
    let outcome: RunOutcome;
    try {
      outcome = await this.run({
        command,
        dir: this.workdir,
        ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
        ...(options.env !== undefined ? { env: options.env } : {}),
        ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
        timeoutMs: options.timeoutMs,
        onStdout: (c) => splitters.stdout.push(c),
        onStderr: (c) => splitters.stderr.push(c),
      });
    } finally {
      splitters.stdout.end();
      splitters.stderr.end();
    }
    if (outcome.setupError === 'cwd') {
      throw new ValidationError(`sandbox directory does not exist: ${JSON.stringify(options.cwd)}`, {
        details: { field: 'cwd' },
      });
    }
    if (outcome.setupError !== undefined) {
      throw new InfrastructureError(
        'sandbox_exec_setup_failed',
        `command could not start in pod ${this.podName}: ${outcome.setupError}`,
      );
    }
    const result: ExecResult = {
      exitCode: outcome.exitCode,
      timedOut: outcome.timedOut,
      durationMs: outcome.durationMs,
    };
    if (outcome.exitCode === KILLED_EXIT_CODE && !outcome.timedOut && (await this.killedForMemory())) {
      result.outOfMemory = { limit: this.deps.memoryLimit, message: oomMessage(this.deps.memoryLimit) };
    }
    return result;
  }

  /** After a SIGKILL'd command: did the container's OOM kill count go up since last read? */
  private async killedForMemory(): Promise<boolean> {
    const stdout: Buffer[] = [];
    try {
      const outcome = await this.run({
        command: OOM_COUNT_COMMAND,
        dir: '/',
        timeoutMs: FILE_BASE_TIMEOUT_MS,
        onStdout: (c) => stdout.push(c),
        onStderr: () => undefined,
      });
      if (outcome.setupError !== undefined) return false;
    } catch (err) {
      // The answer only sharpens the report; the command's own result stands without it.
      this.deps.logger.warn({ err, taskId: this.deps.taskId, pod: this.podName }, 'sandbox_oom_check_failed');
      return false;
    }
    const before = this.oomKills;
    const after = parseOomKillCount(Buffer.concat(stdout).toString('utf8'));
    if (after !== undefined) this.oomKills = after;
    return commandOomKilled(KILLED_EXIT_CODE, before, after);
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    this.assertUsable();
    const target = resolveSandboxPath(this.workdir, path);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const stderr = new TailBuffer();
    const outcome = await this.run({
      command: writeFileCommand(target, bytes.byteLength),
      dir: this.workdir,
      stdin: bytes,
      timeoutMs: fileTimeoutMs(bytes.byteLength),
      onStdout: () => undefined,
      onStderr: (c) => stderr.push(c),
    });
    if (outcome.setupError !== undefined || outcome.exitCode !== 0 || outcome.timedOut) {
      throw new InfrastructureError(
        'sandbox_write_failed',
        `could not write ${JSON.stringify(path)} in the sandbox (exit ${outcome.exitCode}): ${stderr.toString()}`,
      );
    }
  }

  async readFile(path: string, maxBytes = READ_MAX_BYTES): Promise<Buffer> {
    this.assertUsable();
    const target = resolveSandboxPath(this.workdir, path);
    const chunks: Buffer[] = [];
    const stderr = new TailBuffer();
    const outcome = await this.run({
      command: readFileCommand(target, maxBytes),
      dir: this.workdir,
      timeoutMs: fileTimeoutMs(maxBytes),
      onStdout: (c) => chunks.push(Buffer.from(c)),
      onStderr: (c) => stderr.push(c),
      maxStdoutBytes: maxBytes,
    });
    if (outcome.exitCode === NO_SUCH_FILE_EXIT_CODE && outcome.setupError === undefined) {
      throw Object.assign(new Error(`no such file in the sandbox: ${JSON.stringify(path)}`), { code: 'ENOENT' });
    }
    if (outcome.setupError !== undefined || outcome.exitCode !== 0 || outcome.timedOut) {
      throw new InfrastructureError(
        'sandbox_read_failed',
        `could not read ${JSON.stringify(path)} from the sandbox (exit ${outcome.exitCode}): ${stderr.toString()}`,
      );
    }
    return Buffer.concat(chunks);
  }

  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      for (const conn of this.running)
        conn.terminate(
          new InfrastructureError('sandbox_disposed', `sandbox ${this.id} was disposed while a command ran`),
        );
      this.unwatch?.();
      try {
        // Deleting the Job deletes the pod, which ends every process in it.
        await this.deps.deleteJob();
      } finally {
        this.deps.onDisposed(this);
      }
    })();
    return this.disposing;
  }

  private lostError(): InfrastructureError {
    return new InfrastructureError(
      'sandbox_lost',
      `sandbox pod ${this.podName} is gone: ${this.lostReason ?? 'unknown reason'}`,
    );
  }

  private assertUsable(): void {
    if (this.disposing !== undefined)
      throw new InfrastructureError('sandbox_disposed', `sandbox ${this.id} is disposed`);
    if (this.lostReason !== undefined) throw this.lostError();
  }

  private open(
    request: Omit<RunRequest, 'onStdout' | 'onStderr'>,
    onStdout: (c: Buffer) => void,
    onStderr: (c: Buffer) => void,
  ): Promise<ExecConnection> {
    const { tuning } = this.deps;
    const spec = {
      dir: request.dir,
      ...(request.mkdir ? { mkdir: true } : {}),
      ...(request.cwd !== undefined ? { cwd: request.cwd } : {}),
      ...(request.env !== undefined ? { env: request.env } : {}),
      command: request.command,
      limitMs: request.timeoutMs + tuning.killGraceMs + REMOTE_MARGIN_MS,
      killGraceMs: tuning.killGraceMs,
      stdinBytes: 0,
    };
    const options = {
      kc: this.deps.kc,
      target: this.deps.target,
      argv: EXEC_ARGV,
      stdin: execStdin(spec, request.stdin),
      onStdout,
      onStderr,
      connectTimeoutMs: tuning.connectTimeoutMs,
      heartbeatMs: tuning.heartbeatMs,
      staleAfterMs: tuning.staleAfterMs,
    };
    const policy = {
      maxWaitMs: tuning.throttleWaitMs,
      maxDelayMs: THROTTLE_MAX_DELAY_MS,
      ...(request.signal ? { signal: request.signal } : {}),
    };
    // A throttled upgrade never started the command: it waits as told and opens again.
    return inTaskScope(this.deps.taskId, () => retryThrottled(() => openExecConnection(options), policy));
  }

  /** Stops a command's process group from a second exec (closing our socket would not). */
  private kill(pid: number, signal: 'TERM' | 'KILL'): void {
    const bound = this.deps.tuning.connectTimeoutMs + STATUS_GRACE_MS;
    const request = { command: killGroupCommand(pid, signal), dir: '/', timeoutMs: STATUS_GRACE_MS };
    void this.open(
      request,
      () => undefined,
      () => undefined,
    )
      .then(async (conn) => {
        const timer = setTimeout(
          () => conn.terminate(new InfrastructureError('sandbox_kill_timeout', 'kill exec did not finish')),
          bound,
        );
        try {
          await conn.done;
        } finally {
          clearTimeout(timer);
        }
      })
      .catch((err: unknown) =>
        this.deps.logger.warn({ err, taskId: this.deps.taskId, pid, signal }, 'sandbox_kill_failed'),
      );
  }

  /** One exec from open to status: the local timeout, the cancel, and the remote kill of both. */
  private async run(request: RunRequest): Promise<RunOutcome> {
    const started = performance.now();
    const { killGraceMs } = this.deps.tuning;
    let pid: number | undefined;
    let stopReason: 'timeout' | 'abort' | undefined;
    let stdoutBytes = 0;
    let conn: ExecConnection | undefined;
    const timers: NodeJS.Timeout[] = [];

    const sendKill = (signal: 'TERM' | 'KILL'): void => {
      if (pid !== undefined) this.kill(pid, signal);
    };
    const stop = (reason: 'timeout' | 'abort'): void => {
      if (stopReason !== undefined) return;
      stopReason = reason;
      sendKill('TERM');
      // `timeout` in the pod escalates to SIGKILL after the grace; this covers a wrapper that
      // itself was stopped, and then gives up on a connection that never reports.
      timers.push(setTimeout(() => sendKill('KILL'), killGraceMs + REMOTE_MARGIN_MS));
      timers.push(
        setTimeout(
          () =>
            conn?.terminate(
              new InfrastructureError(
                'sandbox_exec_unresponsive',
                `command in pod ${this.podName} did not end after being killed`,
              ),
            ),
          killGraceMs + REMOTE_MARGIN_MS + STATUS_GRACE_MS,
        ),
      );
    };
    const markers = new MarkerReader(
      (marker) => {
        if (marker.kind !== 'pid') return;
        pid = marker.pid;
        // A stop requested before the command announced itself is delivered now.
        if (stopReason !== undefined) sendKill('TERM');
      },
      (chunk) => {
        stdoutBytes += chunk.length;
        if (request.maxStdoutBytes !== undefined && stdoutBytes > request.maxStdoutBytes) {
          conn?.terminate(
            new InfrastructureError('sandbox_output_too_large', `output exceeds ${request.maxStdoutBytes} bytes`),
          );
          return;
        }
        request.onStdout(chunk);
      },
    );

    conn = await this.open(request, (c) => markers.push(c), request.onStderr);
    this.running.add(conn);
    const onAbort = (): void => stop('abort');
    try {
      if (this.disposing !== undefined || this.lostReason !== undefined)
        conn.terminate(
          this.lostReason ? this.lostError() : new InfrastructureError('sandbox_disposed', 'sandbox disposed'),
        );
      timers.push(setTimeout(() => stop('timeout'), Math.min(request.timeoutMs, 2 ** 31 - 1)));
      if (request.signal?.aborted) stop('abort');
      request.signal?.addEventListener('abort', onAbort, { once: true });

      let status: ExitStatus;
      try {
        status = await conn.done;
      } catch (err) {
        if (stopReason === 'abort') throw new CancelledError('command cancelled', { cause: err });
        throw err;
      }
      if (stopReason === 'abort') throw new CancelledError('command cancelled');
      if (status.kind === 'error')
        throw new InfrastructureError('sandbox_exec_failed', `exec in pod ${this.podName} failed: ${status.message}`);
      const durationMs = Math.round(performance.now() - started);
      const setupError = markers.marker?.kind === 'setup-error' ? markers.marker.what : undefined;
      return { exitCode: status.exitCode, timedOut: stopReason === 'timeout', durationMs, setupError };
    } finally {
      for (const timer of timers) clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      this.running.delete(conn);
    }
  }
}

function fileTimeoutMs(bytes: number): number {
  return FILE_BASE_TIMEOUT_MS + Math.ceil(bytes / (1024 * 1024)) * FILE_MS_PER_MIB;
}
