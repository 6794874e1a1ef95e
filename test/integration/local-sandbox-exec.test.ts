// The local driver runs real `sh -c` child processes: exit codes, streaming, env, stdin, cwd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox, SandboxProvider } from '../../src/sandbox/types.js';
import { LineLog, processGone, startLocalProvider, waitUntil } from '../support/local-sandbox.js';

const T = { timeoutMs: 30_000 };
/** Waits (bounded by the shell itself) for a file the test creates. */
const waitForFile = (name: string) =>
  `i=0; while [ ! -e ${name} ]; do i=$((i+1)); [ $i -gt 1200 ] && exit 99; sleep 0.05; done`;

let provider: SandboxProvider;
let records: Array<Record<string, unknown>>;
let sandbox: Sandbox;

beforeAll(async () => {
  ({ provider, records } = await startLocalProvider({
    baseEnv: { ...process.env, GIT_TOKEN: 'host-secret-token', FROM_HOST: 'host-value' },
  }));
  sandbox = await provider.create({ taskId: 'exec-test', timeoutSeconds: 600 });
});
afterAll(async () => {
  await provider.stop();
});

describe('local sandbox exec', () => {
  it('warns once at startup that it gives no isolation', async () => {
    await provider.start();
    const warnings = records.filter((r) => r.msg === 'sandbox_local_no_isolation');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.level).toBe(40);
  });

  it.each([0, 1, 3])('returns the real exit code %i', async (code) => {
    // The sleep gives durationMs a lower bound it must reach (it is measured, not left at 0).
    const result = await sandbox.exec(`sleep 0.2; exit ${code}`, T);
    expect(result).toMatchObject({ exitCode: code, timedOut: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(200);
  });

  it('reports a death by signal as 128 + the signal number', async () => {
    expect((await sandbox.exec('kill -KILL $$', T)).exitCode).toBe(137);
    expect((await sandbox.exec('kill -TERM $$', T)).exitCode).toBe(143);
  });

  it('streams stdout and stderr line by line while the command is still running', async () => {
    const log = new LineLog();
    let settled = false;
    const running = sandbox
      .exec(
        `echo out-1; ${waitForFile('go-1')}; echo err-1 >&2; ${waitForFile('go-2')}; printf 'out-2\\r\\nno newline'`,
        {
          ...T,
          onOutput: log.onOutput,
        },
      )
      .finally(() => {
        settled = true;
      });

    await log.waitFor(/^out-1$/);
    expect(settled).toBe(false);
    expect(log.lines).toEqual([{ stream: 'stdout', line: 'out-1' }]);
    await sandbox.writeFile('go-1', '');

    await log.waitFor(/^err-1$/);
    expect(settled).toBe(false);
    expect(log.lines.at(-1)).toEqual({ stream: 'stderr', line: 'err-1' });
    await sandbox.writeFile('go-2', '');

    expect((await running).exitCode).toBe(0);
    expect(log.lines).toEqual([
      { stream: 'stdout', line: 'out-1' },
      { stream: 'stderr', line: 'err-1' },
      { stream: 'stdout', line: 'out-2' },
      { stream: 'stdout', line: 'no newline' },
    ]);
  });

  it('passes extra env and the host environment, but not ci-fixer settings', async () => {
    const log = new LineLog();
    await sandbox.exec('printf "%s|%s|%s\\n" "$EXTRA" "$FROM_HOST" "${GIT_TOKEN-unset}"', {
      ...T,
      env: { EXTRA: "with spaces and 'quotes'" },
      onOutput: log.onOutput,
    });
    expect(log.lines).toEqual([{ stream: 'stdout', line: "with spaces and 'quotes'|host-value|unset" }]);
  });

  it('writes the given bytes to stdin and closes it', async () => {
    const log = new LineLog();
    const result = await sandbox.exec('cat; echo "[eof]"', {
      ...T,
      stdin: Buffer.from('line one\nline two'),
      onOutput: log.onOutput,
    });
    expect(result.exitCode).toBe(0);
    expect(log.lines.map((l) => l.line)).toEqual(['line one', 'line two[eof]']);
  });

  it('gives a command without stdin input an immediate end of file', async () => {
    const log = new LineLog();
    await sandbox.exec('wc -c', { ...T, onOutput: log.onOutput });
    expect(log.lines.map((l) => l.line.trim())).toEqual(['0']);
  });

  it('runs in the workdir, or in a directory inside it', async () => {
    await sandbox.writeFile('sub dir/marker', 'x');
    const log = new LineLog();
    await sandbox.exec('pwd', { ...T, onOutput: log.onOutput });
    await sandbox.exec('pwd; ls', { ...T, cwd: 'sub dir', onOutput: log.onOutput });
    expect(log.lines.map((l) => l.line)).toEqual([sandbox.workdir, `${sandbox.workdir}/sub dir`, 'marker']);
  });

  it('refuses a cwd outside the workdir or that does not exist', async () => {
    await expect(sandbox.exec('true', { ...T, cwd: '..' })).rejects.toThrow(/escapes the workdir/);
    await expect(sandbox.exec('true', { ...T, cwd: '/tmp' })).rejects.toThrow(/escapes the workdir/);
    await expect(sandbox.exec('true', { ...T, cwd: 'missing' })).rejects.toThrow(/does not exist/);
  });

  it('kills background jobs a command leaves behind when it exits', async () => {
    const log = new LineLog();
    await sandbox.exec('sleep 300 & echo "bg $!"', { ...T, onOutput: log.onOutput });
    const pid = Number((await log.waitFor(/^bg (\d+)$/))[1]);
    await waitUntil(() => processGone(pid), `background pid ${pid} to exit`);
  });

  it('kills what left the group (setsid) too, so nothing a command started outlives it', async () => {
    const log = new LineLog();
    const result = await sandbox.exec(
      'setsid sleep 303 > /dev/null 2>&1 < /dev/null & sleep 0.2; pgrep -n -f "^sleep 303$" | sed "s/^/escaped /"',
      {
        ...T,
        onOutput: log.onOutput,
      },
    );
    expect(result.exitCode).toBe(0);
    const pid = Number((await log.waitFor(/^escaped (\d+)$/))[1]);
    // SIGKILLed before exec returned; the kernel takes a moment to finish it off.
    await waitUntil(() => processGone(pid), `escaped pid ${pid} to exit`);
  });

  it('gives a proof sandbox a fresh, empty HOME and no per-user config, keeping the tool caches', async () => {
    const proof = await provider.create({ taskId: 'exec-test', timeoutSeconds: 600, role: 'proof' });
    try {
      const log = new LineLog();
      const result = await proof.exec(
        'echo "home=$HOME"; ls -A "$HOME" | wc -l | sed "s/^/entries=/"; echo "xdg=$(printenv XDG_CONFIG_HOME || echo unset)"; echo "from=$FROM_HOST"; echo "npmcache=$npm_config_cache"',
        { ...T, onOutput: log.onOutput },
      );
      expect(result.exitCode).toBe(0);
      const text = log.lines.map((l) => l.line).join('\n');
      expect(text).toContain(`home=${proof.workdir}/.home`);
      expect(text).toMatch(/entries=\s*0/);
      expect(text).toContain('xdg=unset');
      expect(text).toContain('from=host-value');
      expect(text).toContain(`npmcache=${process.env.npm_config_cache ?? `${process.env.HOME}/.npm`}`);
      expect(proof.workdir).not.toBe(sandbox.workdir);
    } finally {
      await proof.dispose();
    }
  });
});
