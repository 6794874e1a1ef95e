// Every command of the pipeline goes through here: one place that cuts its timeout from the task's
// remaining budget, streams its output to the task log, and records it for the result.
import { CancelledError, TaskError } from '../errors.js';
import type { CommandRecord } from '../task.js';
import type { CommandRunner, FixContext, RunOptions, RunResult } from './types.js';

export type { CommandRunner, RunOptions, RunResult } from './types.js';

/** A command given less than this would only fail noisily; the task is out of time instead. */
const MIN_COMMAND_MS = 1000;
/** Most recent output kept for failure detection (detectors look at the summary at the end). */
/** Bound on the stdout lines a command's caller gets back (16 KiB lines would allow 160 MiB). */
const STDOUT_LINES_MAX_CHARS = 1024 * 1024;

export const OUTPUT_TAIL_CHARS = 256 * 1024;

// npx must never wait for a "Need to install the following packages" answer (stdin is closed,
// so it would fail instead), and npm's update notice is noise in a fix log.
const NPM_ENV = { npm_config_yes: 'true', npm_config_update_notifier: 'false' };

/** Keeps the last `maxChars` characters' worth of lines. */
export class OutputTail {
  private lines: string[] = [];
  private chars = 0;
  constructor(private readonly maxChars: number) {}
  push(line: string): void {
    this.lines.push(line);
    this.chars += line.length + 1;
    while (this.chars > this.maxChars && this.lines.length > 1) this.chars -= (this.lines.shift() as string).length + 1;
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

export function createCommandRunner(ctx: FixContext, now: () => number = Date.now): CommandRunner {
  const deadline = now() + ctx.timeoutSeconds * 1000;
  const commands: CommandRecord[] = [];

  async function run(command: string, options: RunOptions = {}): Promise<RunResult> {
    if (ctx.signal.aborted) throw new CancelledError('task cancelled');
    const shown = options.label ?? command;
    const remainingMs = deadline - now();
    if (remainingMs < MIN_COMMAND_MS) {
      throw new TaskError('task_timeout', `task ran out of its ${ctx.timeoutSeconds}s time budget before: ${shown}`, {
        details: { timeoutSeconds: ctx.timeoutSeconds },
      });
    }
    ctx.log('system', `$ ${shown}`);
    const tail = new OutputTail(OUTPUT_TAIL_CHARS);
    const stdoutLines: string[] = [];
    const ownBound = options.timeoutMs !== undefined && options.timeoutMs < remainingMs;
    let stdoutBytes = 0;
    const result = await ctx.sandbox.exec(command, {
      timeoutMs: ownBound ? (options.timeoutMs as number) : remainingMs,
      env: { ...NPM_ENV, ...options.env },
      signal: ctx.signal,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      onOutput: (stream, line) => {
        ctx.log(stream, line);
        tail.push(line);
        if (stream === 'stdout' && stdoutLines.length < 10_000 && stdoutBytes + line.length <= STDOUT_LINES_MAX_CHARS) {
          stdoutLines.push(line);
          stdoutBytes += line.length;
        }
      },
    });
    commands.push({
      command: shown,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      timedOut: result.timedOut,
    });
    ctx.log('system', `exit ${result.exitCode} after ${result.durationMs} ms${result.timedOut ? ' (timed out)' : ''}`);
    if (result.outOfMemory !== undefined) ctx.log('system', result.outOfMemory.message);
    if (result.timedOut && !ownBound) {
      throw new TaskError('task_timeout', `task ran out of its ${ctx.timeoutSeconds}s time budget during: ${shown}`, {
        details: { timeoutSeconds: ctx.timeoutSeconds },
      });
    }
    return {
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      output: tail.toString(),
      stdoutLines,
      timedOut: result.timedOut,
      ...(result.outOfMemory === undefined ? {} : { outOfMemory: result.outOfMemory.message }),
    };
  }

  return { run, commands };
}
