// The deployment guide run as a user runs it (test/k8s-real/deployment-guide-word-for-word.test.ts):
// its commands, verbatim, through bash in the repository, with kubectl, helm, docker, npx on the
// PATH and the test cluster as the current kubeconfig context, and nothing of the machine's own
// environment (no LLM_*, GITHUB_*, REDIS_URL; a scratch HOME). Each command and what it printed
// is logged, so a run's output is the guide's transcript.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, toolPath } from '../../scripts/lib/cluster-tools.js';

const run = promisify(execFile);

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GuideShell {
  env: Record<string, string>;
  /** Runs one guide command; a non-zero exit is returned, not thrown. */
  sh(command: string, options?: { timeoutMs?: number; quiet?: boolean }): Promise<ShellResult>;
  /** Starts a long-running guide command (a watch, a port-forward); its output accumulates. */
  background(command: string): { child: ChildProcess; output: () => string };
}

/** The docker client environment of podman's Docker API socket (starts it or reuses it). */
async function dockerEnv(): Promise<Record<string, string>> {
  const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts/test-cluster/podman-service.sh'), 'env'], {
    timeout: 120_000,
  });
  const env: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

export async function createGuideShell(kubeconfig: string): Promise<GuideShell> {
  const home = mkdtempSync(join(tmpdir(), 'ci-fixer-guide-home-'));
  // A copy: nothing the guide does may change the tier's kubeconfig.
  const config = join(home, 'kubeconfig');
  copyFileSync(kubeconfig, config);
  const bins = [dirname(await toolPath('kubectl')), dirname(await toolPath('helm')), dirname(process.execPath)];
  const env: Record<string, string> = {
    ...(await dockerEnv()),
    PATH: [...new Set(bins), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
    HOME: home,
    KUBECONFIG: config,
    HELM_CACHE_HOME: join(home, 'helm-cache'),
    HELM_CONFIG_HOME: join(home, 'helm-config'),
    HELM_DATA_HOME: join(home, 'helm-data'),
    npm_config_cache: join(home, 'npm-cache'),
    npm_config_update_notifier: 'false',
  };
  const sh: GuideShell['sh'] = (command, options = {}) =>
    new Promise((resolve) => {
      execFile(
        'bash',
        ['-c', command],
        { cwd: REPO_ROOT, env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          if (!options.quiet) console.log(`$ ${command}\n${stdout}${stderr}${code === 0 ? '' : `[exit ${code}]\n`}`);
          resolve({ code, stdout, stderr: err && code === -1 ? `${stderr}\n${err.message}` : stderr });
        },
      );
    });
  const background: GuideShell['background'] = (command) => {
    // Its own process group, so stopping it stops kubectl too, not only bash.
    const child = spawn('bash', ['-c', command], {
      cwd: REPO_ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    return { child, output: () => output };
  };
  return { env, sh, background };
}

/** Signals a process group started by `background` (or any detached child); gone already is fine. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Exited already.
  }
}

/** Resolves once `output()` matches, rejects when the child exits first or `timeoutMs` passes. */
export function waitForOutput(
  proc: { child: ChildProcess; output: () => string },
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = proc.output().match(pattern);
      if (match) {
        done();
        resolve(match);
      }
    };
    const onExit = (code: number | null) => {
      check();
      done();
      reject(new Error(`exited ${code} before printing ${pattern}:\n${proc.output()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${proc.output()}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      proc.child.stdout?.off('data', check);
      proc.child.stderr?.off('data', check);
      proc.child.off('exit', onExit);
    };
    proc.child.stdout?.on('data', check);
    proc.child.stderr?.on('data', check);
    proc.child.once('exit', onExit);
    check();
  });
}
