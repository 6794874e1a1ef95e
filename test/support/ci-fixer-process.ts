// Runs the built ci-fixer (dist/) as a real child process, the way a deployment does, and reads
// its JSON log lines to find its port and follow what it did.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

export interface CiFixerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Where /metrics is served (METRICS_PORT; never the API port). */
  metricsUrl: string;
  logs: Array<Record<string, unknown>>;
  /** Resolves with the first log entry matching `msg` (and `match`), bounded by timeoutMs. */
  waitForLog(msg: string, match?: (entry: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a signal and resolves with the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

export async function startCiFixer(mode: 'api' | 'worker' | 'all', env: Record<string, string>, startTimeoutMs = 30_000): Promise<CiFixerProcess> {
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN, mode], {
    env: { ...process.env, LOG_LEVEL: 'debug', PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
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
    waiters.splice(0).forEach((w) => w());
    // A process that dies on its own takes its reasons with it: say them where the test run shows them.
    if (!stopping) console.error(`ci-fixer ${mode} exited on its own (${code ?? signal}); stderr: ${stderr.slice(-2000)}; last logs: ${JSON.stringify(logs.slice(-8))}`);
  });

  const waitForLog: CiFixerProcess['waitForLog'] = (msg, match = () => true, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${msg}' log within ${timeoutMs} ms; stderr: ${stderr}; last logs: ${JSON.stringify(logs.slice(-5))}`)), timeoutMs);
      const check = () => {
        const hit = logs.find((e) => e.msg === msg && match(e));
        if (hit) {
          clearTimeout(timer);
          resolve(hit);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`process exited (${child.exitCode ?? child.signalCode}) before '${msg}'; stderr: ${stderr}; last logs: ${JSON.stringify(logs.slice(-5))}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });

  // A process that never says it started must not outlive the caller's failure.
  const started = await waitForLog('ci_fixer_started', () => true, startTimeoutMs).catch((err: unknown) => {
    stopping = true;
    child.kill('SIGKILL');
    throw err;
  });
  const port = Number(started.port);
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${Number(started.metricsPort)}`,
    logs,
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
