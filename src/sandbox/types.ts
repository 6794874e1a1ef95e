// The sandbox contract every driver (local child processes, Kubernetes Jobs) implements.
import type { LogStream } from '../task.js';

/** The default bound of Sandbox.readFile: far above any patch or file list the pipeline keeps. */
export const READ_MAX_BYTES = 8 * 1024 * 1024;

export interface ExecOptions {
  /** Hard bound; on expiry the whole process group is killed and `timedOut` is true. */
  timeoutMs: number;
  /** Extra environment for this command only (credentials travel here, never in files). */
  env?: Record<string, string>;
  /** Aborting kills the command like a timeout does, and exec rejects with CancelledError. */
  signal?: AbortSignal;
  /** Called once per complete output line, as it arrives. */
  onOutput?: (stream: Exclude<LogStream, 'system'>, line: string) => void;
  /** Working directory relative to the sandbox workdir; defaults to the workdir. */
  cwd?: string;
  /** Bytes written to the command's stdin, then closed. */
  stdin?: Uint8Array;
}

export interface ExecResult {
  exitCode: number;
  timedOut: boolean;
  durationMs: number;
  /** Set when the command was killed for exceeding the sandbox's memory limit (drivers that can tell). */
  outOfMemory?: { limit: string | undefined; message: string };
}

export interface Sandbox {
  readonly id: string;
  /** Absolute path of the per-task working directory inside the sandbox. */
  readonly workdir: string;
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  /** Paths are relative to the workdir (or absolute inside the sandbox). */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /**
   * At most `maxBytes` (default READ_MAX_BYTES) of the file's head: a file the task wrote can be
   * any size, and the worker must not hold it whole. A result of exactly maxBytes may be cut.
   */
  readFile(path: string, maxBytes?: number): Promise<Buffer>;
  /** Idempotent; releases every resource the sandbox holds. */
  dispose(): Promise<void>;
}

/**
 * What a sandbox is for. `work`: the task's own sandbox, where the failure is reproduced and fixed.
 * `proof`: a second, fresh one for the same task, where the final patch is verified on a clean
 * checkout (src/fixer/proof.ts); nothing the work sandbox's runs left behind can reach it.
 */
export type SandboxRole = 'work' | 'proof';

export interface SandboxRequest {
  taskId: string;
  /** Default `work`. */
  role?: SandboxRole;
  /** The task's own time bound; drivers derive deadlines from it. */
  timeoutSeconds: number;
  signal?: AbortSignal;
}

export interface SandboxProvider {
  readonly kind: 'local' | 'kubernetes';
  create(request: SandboxRequest): Promise<Sandbox>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
