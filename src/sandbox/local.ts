// The local sandbox driver: each task gets a temporary directory on this host, and its commands
// run as child processes of the worker, as the worker's user. There is NO isolation: a command can
// read and write anything the worker can. It exists for development and single-tenant use, and
// says so at startup.
import { chmod, mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CONFIG_DOCS } from '../config.js';
import { CancelledError, InfrastructureError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type ProcessOutcome, probeTimeoutBackstop, startProcessGroup, type RunningProcess } from './local-exec.js';
import { readFileInside, resolveDirInside, writeFileInside } from './local-fs.js';
import {
  READ_MAX_BYTES,
  type ExecOptions,
  type ExecResult,
  type Sandbox,
  type SandboxProvider,
  type SandboxRequest,
} from './types.js';

export interface LocalSandboxProviderOptions {
  /** Parent of the per-task directories; the OS temp folder when unset. */
  baseDir?: string;
  logger: Logger;
  /** Time between SIGTERM and SIGKILL when a command is stopped. */
  killGraceMs?: number;
  /**
   * Environment every command starts from. Child processes of a local driver inherit the host
   * environment by nature (PATH, HOME, proxies), so this defaults to process.env; ci-fixer's own
   * settings (tokens, Redis URL, kubeconfig) and npm's run-script context are always removed.
   */
  baseEnv?: NodeJS.ProcessEnv;
}

const DEFAULT_KILL_GRACE_MS = 3000;
/** A proof sandbox's HOME, in its workdir (beside the checkout, never inside it). */
const PROOF_HOME = '.home';
const OWN_SETTINGS = new Set(CONFIG_DOCS.map((doc) => doc.name));

/** The host environment minus what belongs to ci-fixer itself rather than to the task. */
export function sandboxBaseEnv(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined || OWN_SETTINGS.has(key)) continue;
    // Set by `npm run`/`npm test` around the worker; they would point npx at ci-fixer's own tree.
    if (/^npm_(package|lifecycle)_/i.test(key) || /^npm_config_local_prefix$/i.test(key) || key === 'INIT_CWD')
      continue;
    env[key] = value;
  }
  return env;
}

/**
 * Where tools keep downloads and toolchains under a HOME, as (variable, path under HOME). A proof
 * sandbox's fresh HOME would lose them (a cold module cache, no rustup toolchain), so they stay
 * pinned to the host's: they hold content-addressed downloads and installed toolchains, not
 * configuration. Everything else in the host HOME (~/.npmrc, ~/.gitconfig, ~/.config/...) is out.
 */
const TOOL_CACHES: ReadonlyArray<readonly [string, string]> = [
  ['RUSTUP_HOME', '.rustup'],
  ['CARGO_HOME', '.cargo'],
  ['GOPATH', 'go'],
  ['GOMODCACHE', 'go/pkg/mod'],
  ['GOCACHE', '.cache/go-build'],
  ['npm_config_cache', '.npm'],
  ['PIP_CACHE_DIR', '.cache/pip'],
];
/** Per-user configuration locations that would bring the host's settings back in. */
const USER_CONFIG =
  /^(?:XDG_(?:CONFIG|DATA|STATE|CACHE)_HOME|npm_config_userconfig|NPM_CONFIG_USERCONFIG|GIT_CONFIG_GLOBAL|PIP_CONFIG_FILE|PYTHONUSERBASE)$/;

/**
 * The environment of a proof sandbox (SandboxRequest.role 'proof'): the base environment with a
 * new, empty HOME inside the sandbox and no per-user configuration, so a pass can not rest on a
 * file the work sandbox's runs (or the worker's own HOME) left there.
 */
export function proofEnv(base: NodeJS.ProcessEnv, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(base)) if (!USER_CONFIG.test(key)) env[key] = value;
  const hostHome = base.HOME;
  if (hostHome !== undefined && hostHome !== '') {
    for (const [name, sub] of TOOL_CACHES) env[name] ??= path.join(hostHome, sub);
  }
  env.HOME = home;
  return env;
}

function safeName(taskId: string): string {
  return taskId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'task';
}

interface LocalSandboxDeps {
  workdir: string;
  baseEnv: NodeJS.ProcessEnv;
  killGraceMs: number;
  backstop: boolean;
  onDisposed: (sandbox: LocalSandbox) => void;
}

class LocalSandbox implements Sandbox {
  readonly id: string;
  readonly workdir: string;
  private readonly running = new Set<RunningProcess>();
  private disposing: Promise<void> | undefined;

  constructor(private readonly deps: LocalSandboxDeps) {
    this.workdir = deps.workdir;
    this.id = `local:${path.basename(deps.workdir)}`;
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    this.assertOpen();
    if (options.signal?.aborted) throw new CancelledError('command cancelled before it started');
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
      throw new ValidationError(`timeoutMs must be a positive number, got ${options.timeoutMs}`, {
        details: { field: 'timeoutMs' },
      });
    }
    const cwd = options.cwd === undefined ? this.workdir : await resolveDirInside(this.workdir, options.cwd);
    this.assertOpen();
    let proc: RunningProcess;
    try {
      proc = startProcessGroup({
        command,
        cwd,
        env: { ...this.deps.baseEnv, ...options.env },
        timeoutMs: options.timeoutMs,
        killGraceMs: this.deps.killGraceMs,
        backstop: this.deps.backstop,
        stdin: options.stdin,
        onOutput: options.onOutput,
        signal: options.signal,
      });
    } catch (err) {
      throw new InfrastructureError('sandbox_exec_failed', 'could not start command in local sandbox', { cause: err });
    }
    this.running.add(proc);
    let outcome: ProcessOutcome;
    try {
      outcome = await proc.done;
    } catch (err) {
      throw new InfrastructureError('sandbox_exec_failed', 'could not start command in local sandbox', { cause: err });
    } finally {
      this.running.delete(proc);
    }
    if (outcome.killedBy === 'abort') throw new CancelledError('command cancelled');
    if (outcome.killedBy === 'dispose')
      throw new InfrastructureError('sandbox_disposed', 'sandbox was disposed while a command ran');
    return { exitCode: outcome.exitCode, timedOut: outcome.timedOut, durationMs: outcome.durationMs };
  }

  async writeFile(filePath: string, data: Uint8Array | string): Promise<void> {
    this.assertOpen();
    await writeFileInside(this.workdir, filePath, data);
  }

  async readFile(filePath: string, maxBytes = READ_MAX_BYTES): Promise<Buffer> {
    this.assertOpen();
    return readFileInside(this.workdir, filePath, maxBytes);
  }

  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      const procs = [...this.running];
      for (const proc of procs) proc.terminate();
      await Promise.allSettled(procs.map((proc) => proc.done));
      await rm(this.workdir, { recursive: true, force: true, maxRetries: 3 });
      this.deps.onDisposed(this);
    })();
    return this.disposing;
  }

  private assertOpen(): void {
    if (this.disposing !== undefined)
      throw new InfrastructureError('sandbox_disposed', `sandbox ${this.id} is disposed`);
  }
}

export function createLocalSandboxProvider(options: LocalSandboxProviderOptions): SandboxProvider {
  const logger = options.logger;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const baseEnv = sandboxBaseEnv(options.baseEnv ?? process.env);
  const open = new Set<LocalSandbox>();
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let backstop = false;

  return {
    kind: 'local',

    start() {
      starting ??= (async () => {
        backstop = await probeTimeoutBackstop();
        logger.warn(
          {
            baseDir: options.baseDir ?? os.tmpdir(),
            detail:
              'local sandbox gives NO isolation: task commands run on this host as this user; use the kubernetes driver for untrusted repositories',
          },
          'sandbox_local_no_isolation',
        );
        if (!backstop) {
          // Without it, a command may outlive its timeout if this process is killed.
          logger.warn({ missing: 'coreutils timeout' }, 'sandbox_local_no_timeout_backstop');
        }
      })();
      return starting;
    },

    async create(request: SandboxRequest): Promise<Sandbox> {
      if (starting === undefined)
        throw new InfrastructureError('sandbox_provider_not_started', 'local sandbox provider was not started');
      await starting;
      if (stopping !== undefined)
        throw new InfrastructureError('sandbox_provider_stopped', 'local sandbox provider is stopped');
      if (request.signal?.aborted) throw new CancelledError('task cancelled before its sandbox was created');
      let workdir: string;
      try {
        const parent = options.baseDir ?? os.tmpdir();
        const role = request.role === 'proof' ? '-proof' : '';
        workdir = await realpath(await mkdtemp(path.join(parent, `ci-fixer-${safeName(request.taskId)}${role}-`)));
        await chmod(workdir, 0o700);
        if (request.role === 'proof') await mkdir(path.join(workdir, PROOF_HOME));
      } catch (err) {
        throw new InfrastructureError('sandbox_create_failed', 'could not create local sandbox directory', {
          cause: err,
        });
      }
      const sandbox = new LocalSandbox({
        workdir,
        baseEnv: request.role === 'proof' ? proofEnv(baseEnv, path.join(workdir, PROOF_HOME)) : baseEnv,
        killGraceMs,
        backstop,
        onDisposed: (s) => open.delete(s),
      });
      open.add(sandbox);
      logger.debug({ taskId: request.taskId, sandboxId: sandbox.id }, 'sandbox_created');
      return sandbox;
    },

    stop() {
      stopping ??= (async () => {
        await Promise.allSettled([...open].map((sandbox) => sandbox.dispose()));
      })();
      return stopping;
    },
  };
}
