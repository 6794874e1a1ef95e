// Stopping commands: timeouts, cancellation, dispose, and a worker that dies mid-command. Each
// test proves the processes are gone by pid, including a grandchild that ignores SIGTERM.
import { spawn } from 'node:child_process';
import { access, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, InfrastructureError } from '../../src/errors.js';
import type { SandboxProvider } from '../../src/sandbox/types.js';
import { LineLog, processGone, startLocalProvider, waitUntil } from '../support/local-sandbox.js';

// The grandchild: a subshell that ignores SIGTERM, then becomes `sleep` (which inherits that).
const STUBBORN_GRANDCHILD = `sh -c '(trap "" TERM; exec sleep 300) & echo "grandchild $!"; wait'`;

let provider: SandboxProvider;
beforeAll(async () => {
  ({ provider } = await startLocalProvider({ killGraceMs: 500 }));
});
afterAll(async () => {
  await provider.stop();
});

async function grandchildPid(log: LineLog): Promise<number> {
  const pid = Number((await log.waitFor(/^grandchild (\d+)$/))[1]);
  expect(processGone(pid)).toBe(false);
  return pid;
}

describe('local sandbox stops what it starts', () => {
  it('on timeout kills the whole process group, grandchildren included, and says so', async () => {
    const sandbox = await provider.create({ taskId: 'timeout', timeoutSeconds: 60 });
    const log = new LineLog();
    const running = sandbox.exec(STUBBORN_GRANDCHILD, { timeoutMs: 3000, onOutput: log.onOutput });
    const pid = await grandchildPid(log);
    const result = await running;
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeGreaterThan(128);
    await waitUntil(() => processGone(pid), `grandchild ${pid} to be killed`);
    await sandbox.dispose();
  });

  it('on abort kills the command and rejects with CancelledError', async () => {
    const sandbox = await provider.create({ taskId: 'abort', timeoutSeconds: 60 });
    const log = new LineLog();
    const controller = new AbortController();
    const running = sandbox.exec(STUBBORN_GRANDCHILD, {
      timeoutMs: 60_000,
      signal: controller.signal,
      onOutput: log.onOutput,
    });
    const pid = await grandchildPid(log);
    controller.abort();
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    await waitUntil(() => processGone(pid), `grandchild ${pid} to be killed`);
    await sandbox.dispose();
  });

  it('does not start a command whose signal is already aborted', async () => {
    const sandbox = await provider.create({ taskId: 'pre-abort', timeoutSeconds: 60 });
    await expect(sandbox.exec('touch ran', { timeoutMs: 10_000, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      CancelledError,
    );
    await expect(sandbox.readFile('ran')).rejects.toThrow(/no such file/);
    await sandbox.dispose();
  });

  it('dispose kills running commands, removes the workdir, and is idempotent', async () => {
    const sandbox = await provider.create({ taskId: 'dispose', timeoutSeconds: 60 });
    expect(path.basename(sandbox.workdir)).toContain('dispose');
    const log = new LineLog();
    const running = sandbox.exec(STUBBORN_GRANDCHILD, { timeoutMs: 60_000, onOutput: log.onOutput });
    const pid = await grandchildPid(log);
    const failure = running.catch((err: unknown) => err);
    await Promise.all([sandbox.dispose(), sandbox.dispose()]);
    expect(await failure).toMatchObject({ code: 'sandbox_disposed' });
    await waitUntil(() => processGone(pid), `grandchild ${pid} to be killed`);
    await expect(access(sandbox.workdir)).rejects.toMatchObject({ code: 'ENOENT' });
    await sandbox.dispose();
    await expect(sandbox.exec('true', { timeoutMs: 1000 })).rejects.toBeInstanceOf(InfrastructureError);
    await expect(sandbox.writeFile('x', 'y')).rejects.toBeInstanceOf(InfrastructureError);
  });

  it('provider stop disposes sandboxes still open and refuses new ones', async () => {
    const { provider: own } = await startLocalProvider();
    const sandbox = await own.create({ taskId: 'left-open', timeoutSeconds: 60 });
    const log = new LineLog();
    const running = sandbox.exec(STUBBORN_GRANDCHILD, { timeoutMs: 60_000, onOutput: log.onOutput });
    const pid = await grandchildPid(log);
    const failure = running.catch((err: unknown) => err);
    await own.stop();
    await own.stop();
    expect(await failure).toMatchObject({ code: 'sandbox_disposed' });
    await waitUntil(() => processGone(pid), `grandchild ${pid} to be killed`);
    await expect(access(sandbox.workdir)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(own.create({ taskId: 'late', timeoutSeconds: 60 })).rejects.toMatchObject({
      code: 'sandbox_provider_stopped',
    });
  });

  it('still kills the command at its timeout when the worker process itself is SIGKILLed', async () => {
    const script = path.resolve('test/support/local-sandbox-orphan.ts');
    const worker = spawn(process.execPath, ['--import', 'tsx', script, '3000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const log = new LineLog();
    let buffered = '';
    worker.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) log.onOutput('stdout', line);
    });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const pid = await grandchildPid(log);
    worker.kill('SIGKILL');
    await exited;
    // Nobody is left to run our own timer: only the coreutils `timeout` backstop can kill it.
    await waitUntil(() => processGone(pid), `orphaned grandchild ${pid} to be killed by the backstop`, 30_000);
    expect(log.lines.map((l) => l.line)).not.toContain('exec returned');
    const workdir = (await log.waitFor(/^workdir (.+)$/))[1] as string;
    expect(path.basename(workdir)).toMatch(/^ci-fixer-orphan-/);
    await rm(workdir, { recursive: true, force: true });
  });
});
