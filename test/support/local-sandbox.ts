// Helpers for tests of the local sandbox driver and the fix pipeline running on it.
import { readFileSync } from 'node:fs';
import { createLogger, type Logger } from '../../src/logger.js';
import { createLocalSandboxProvider, type LocalSandboxProviderOptions } from '../../src/sandbox/local.js';
import type { SandboxProvider } from '../../src/sandbox/types.js';

export interface CapturedLogger {
  logger: Logger;
  records: Array<Record<string, unknown>>;
}

/** A real pino logger whose JSON records land in an array. */
export function captureLogger(): CapturedLogger {
  const records: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', {
    write: (line: string) => void records.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, records };
}

export async function startLocalProvider(
  options: Partial<LocalSandboxProviderOptions> = {},
): Promise<{ provider: SandboxProvider; records: CapturedLogger['records'] }> {
  const { logger, records } = captureLogger();
  const provider = createLocalSandboxProvider({ logger, killGraceMs: 500, ...options });
  await provider.start();
  return { provider, records };
}

/** True when the process no longer exists or is a zombie waiting to be reaped. */
export function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised command name (which may itself contain spaces).
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Polls until `predicate` holds; fails naming `what` after `boundMs` (a bound, not an assertion). */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  boundMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Collects streamed lines and lets a test wait for one that matches. */
export class LineLog {
  readonly lines: Array<{ stream: string; line: string }> = [];
  private waiters: Array<{ match: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];

  readonly onOutput = (stream: string, line: string): void => {
    this.lines.push({ stream, line });
    this.waiters = this.waiters.filter((w) => {
      const m = line.match(w.match);
      if (m) w.resolve(m);
      return !m;
    });
  };

  /** Resolves with the first line (past or future) matching `match`. Bounded by the test timeout. */
  waitFor(match: RegExp): Promise<RegExpMatchArray> {
    for (const { line } of this.lines) {
      const m = line.match(match);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}
