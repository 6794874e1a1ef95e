// Runs the built ci-fixer (dist/) as a real child process, the way a deployment does, and reads
// its JSON log lines to find its port and follow what it did.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { scrubbedEnv } from '../../scripts/lib/child-env.js';

const MAIN = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));
const OUTPUT_MAX_CHARS = 4 * 1024 * 1024;

/** A ci-fixer process that may not have started (yet, or ever): see launchCiFixer. */
export interface LaunchedCiFixer {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  /** Everything it wrote, stdout lines and stderr, as written (for what must never appear in it). */
  output(): string;
  /** Resolves with the first log entry matching `msg` (and `match`), bounded by timeoutMs. */
  waitForLog(
    msg: string,
    match?: (entry: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Sends a signal and resolves with the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

export interface CiFixerProcess extends LaunchedCiFixer {
  port: number;
  url: string;
  /** Where /metrics is served (METRICS_PORT; never the API port). */
  metricsUrl: string;
}

export async function startCiFixer(
  mode: 'api' | 'worker' | 'all',
  env: Record<string, string>,
  startTimeoutMs = 30_000,
): Promise<CiFixerProcess> {
  const launched = launchCiFixer(mode, env);
  // A process that never says it started must not outlive the caller's failure.
  const started = await launched
    .waitForLog('ci_fixer_started', () => true, startTimeoutMs)
    .catch(async (err: unknown) => {
      await launched.stop('SIGKILL', 10_000);
      throw err;
    });
  const port = Number(started.port);
  return {
    ...launched,
    port,
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${Number(started.metricsPort)}`,
  };
}

/** Spawns ci-fixer without waiting for it to start, for tests of what it does on the way (or instead). */
export function launchCiFixer(mode: 'api' | 'worker' | 'all', env: Record<string, string>): LaunchedCiFixer {
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN, mode], {
    // Only what the caller gives it of ours, never the shell's LLM_*, GIT_TOKEN, REDIS_URL, ….
    env: scrubbedEnv({ LOG_LEVEL: 'debug', PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  // The most recent OUTPUT_MAX_CHARS, whole chunks: a long-running process must not grow it forever.
  const output: string[] = [];
  let outputChars = 0;
  const record = (text: string) => {
    output.push(text);
    outputChars += text.length;
    while (outputChars > OUTPUT_MAX_CHARS && output.length > 1) outputChars -= (output.shift() as string).length;
  };
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
    record(chunk.toString());
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    record(`${line}\n`);
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: 'raw', line });
    }
    for (const w of waiters.splice(0)) w();
  });
  const exited = once(child, 'exit');
  // Wake every waiter on exit too, so one waiting for a log that will never come fails at once.
  let stopping = false;
  child.on('exit', (code, signal) => {
    for (const w of waiters.splice(0)) w();
    // A process that dies on its own takes its reasons with it: say them where the test run shows them.
    if (!stopping)
      console.error(
        `ci-fixer ${mode} exited on its own (${code ?? signal}); stderr: ${stderr.slice(-2000)}; last logs: ${JSON.stringify(logs.slice(-8))}`,
      );
  });

  const waitForLog: CiFixerProcess['waitForLog'] = (msg, match = () => true, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no '${msg}' log within ${timeoutMs} ms; stderr: ${stderr}; last logs: ${JSON.stringify(logs.slice(-5))}`,
            ),
          ),
        timeoutMs,
      );
      const check = () => {
        const hit = logs.find((e) => e.msg === msg && match(e));
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(
            new Error(
              `process exited (${child.exitCode ?? child.signalCode}) before '${msg}'; stderr: ${stderr}; last logs: ${JSON.stringify(logs.slice(-5))}`,
            ),
          );
        } else {
          waiters.push(check);
        }
      };
      check();
    });

  return {
    child,
    logs,
    output: () => output.join(''),
    waitForLog,
    async stop(signal = 'SIGTERM', timeoutMs = 60_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode ?? 'exited';
      stopping = true;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const [code, sig] = (await exited) as [number | null, NodeJS.Signals | null];
      clearTimeout(timer);
      return code ?? sig ?? 'unknown';
    },
  };
}
