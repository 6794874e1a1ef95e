// The exec wrapper is shell code; these tests run it with the host's /bin/sh exactly as the pod
// does (argv from EXEC_ARGV, stdin from execStdin), so quoting and framing are checked for real.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  EXEC_ARGV,
  execHeaderScript,
  execStdin,
  killGroupCommand,
  NO_SUCH_FILE_EXIT_CODE,
  parseExecStatus,
  parseMarkerLine,
  readFileCommand,
  resolveSandboxPath,
  SETUP_EXIT_CODE,
  writeFileCommand,
  type ExecSpec,
} from '../../src/sandbox/kubernetes/exec-protocol.js';

const root = mkdtempSync(path.join(tmpdir(), 'k8s-exec-protocol-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const base: ExecSpec = { dir: root, command: 'true', limitMs: 20_000, killGraceMs: 500, stdinBytes: 0 };

function runWrapper(spec: Partial<ExecSpec>, stdin?: Uint8Array, trailing = Buffer.alloc(0)) {
  const input = Buffer.concat([execStdin({ ...base, ...spec }, stdin), trailing]);
  const result = spawnSync(EXEC_ARGV[0]!, EXEC_ARGV.slice(1), { input, cwd: root, timeout: 20_000 });
  const stdout = result.stdout;
  const nl = stdout.indexOf(0x0a);
  return {
    status: result.status,
    marker: parseMarkerLine(stdout.subarray(0, nl).toString()),
    stdout: stdout.subarray(nl + 1),
    stderr: result.stderr.toString(),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)])
    .stdout.toString()
    .trim();
  return stat !== '' && !stat.startsWith('Z');
}

async function until(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('exec wrapper', () => {
  it('announces the pid of the command group, then runs the command with its exit code', () => {
    const r = runWrapper({ command: 'echo out; echo err >&2; exit 3' });
    expect(r.marker.kind).toBe('pid');
    expect(r.status).toBe(3);
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr).toBe('err\n');
  });

  it('passes commands and environment values through unchanged, whatever they contain', () => {
    const tricky = `it's "$HOME" \`id\` $(id) \\ ; | & ünïcødé\nsecond line`;
    const r = runWrapper({
      command: `printf '%s' "$TRICKY"; printf '|%s' "$OTHER"`,
      env: { TRICKY: tricky, OTHER: '' },
    });
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(`${tricky}|`);
    const cmd = runWrapper({ command: `printf '%s\\n' 'quote'"'"'d' "$0"` });
    expect(cmd.stdout.toString()).toBe(`quote'd\nsh\n`);
  });

  it('keeps its own variables out of the command environment', () => {
    const r = runWrapper({ command: 'env', env: { VISIBLE: '1' } });
    const env = r.stdout.toString();
    expect(env).toMatch(/^VISIBLE=1$/m);
    expect(env).not.toMatch(/^CIF_/m);
  });

  it('hands the command exactly its stdin bytes: binary, an EOF line, no trailing newline', () => {
    const payload = Buffer.concat([
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      Buffer.from('\nEOF\nlast line without newline'),
    ]);
    const r = runWrapper(
      { command: 'cat' },
      payload,
      Buffer.from('bytes after the payload must not reach the command'),
    );
    expect(r.status).toBe(0);
    expect(Buffer.compare(r.stdout, payload)).toBe(0);
    expect(runWrapper({ command: 'wc -c' }).stdout.toString().trim()).toBe('0');
  });

  it('creates the directory when asked, runs in cwd below it, and reports a missing cwd as a setup error', () => {
    const r = runWrapper({ dir: 'task dir', mkdir: true, command: 'pwd -P' });
    expect(r.stdout.toString().trim()).toBe(path.join(root, 'task dir'));
    const inner = path.join(root, 'task dir');
    spawnSync('mkdir', ['-p', path.join(inner, "sub 'q'")]);
    expect(runWrapper({ dir: inner, cwd: "sub 'q'", command: 'pwd -P' }).stdout.toString().trim()).toBe(
      path.join(inner, "sub 'q'"),
    );
    const missing = runWrapper({ dir: inner, cwd: 'nope', command: 'echo never' });
    expect(missing.status).toBe(SETUP_EXIT_CODE);
    expect(missing.marker).toEqual({ kind: 'setup-error', what: 'cwd' });
    expect(runWrapper({ dir: path.join(root, 'absent'), command: 'true' }).marker).toEqual({
      kind: 'setup-error',
      what: 'dir',
    });
  });

  it('kills the whole process group when the remote bound passes', async () => {
    const r = runWrapper({ command: 'sleep 30 & echo $! > bg.pid; wait', limitMs: 300, killGraceMs: 200 });
    expect(r.status).toBe(124);
    const bg = Number(readFileSync(path.join(root, 'bg.pid'), 'utf8'));
    await until(`background sleep ${bg} to die`, () => !alive(bg));
  });

  it('stops a running command and its children from a second exec, given the announced pid', async () => {
    const input = execStdin({ ...base, command: 'sleep 30 & echo $! > bg2.pid; wait' });
    const child = spawn(EXEC_ARGV[0]!, EXEC_ARGV.slice(1), { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(input);
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    const firstLine = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout.on('data', (c: Buffer) => {
        buf += c.toString();
        if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
      });
    });
    const marker = parseMarkerLine(firstLine);
    if (marker.kind !== 'pid') throw new Error(`no pid marker: ${firstLine}`);
    await until('the background pid file', () => {
      try {
        return readFileSync(path.join(root, 'bg2.pid'), 'utf8').trim() !== '';
      } catch {
        return false;
      }
    });
    const bg = Number(readFileSync(path.join(root, 'bg2.pid'), 'utf8'));
    const kill = runWrapper({ command: killGroupCommand(marker.pid, 'TERM') });
    expect(kill.status).toBe(0);
    expect(await exited).not.toBe(0);
    await until(`background sleep ${bg} to die`, () => !alive(bg));
  });
});

describe('exec wrapper cleanup', () => {
  it('kills what the command left running in its group when it returns', async () => {
    const result = runWrapper({ command: 'sleep 300 > /dev/null 2>&1 & echo "bg $!"' });
    expect(result.status).toBe(0);
    const pid = Number(/^bg (\d+)$/m.exec(result.stdout.toString())?.[1]);
    expect(pid).toBeGreaterThan(1);
    await until(`background pid ${pid} to be killed`, () => !alive(pid), 5_000);
  });
});

describe('file transfer commands', () => {
  const dir = path.join(root, 'files');

  it('round-trips content through paths with spaces and quotes, creating parents', () => {
    const target = path.join(dir, `a "quoted" dir`, `it's a file.bin`);
    const payload = Buffer.concat([Buffer.from('EOF\n'), Buffer.from([0, 255, 10, 13, 0]), Buffer.from('no newline')]);
    const write = runWrapper({ command: writeFileCommand(target, payload.length) }, payload);
    expect(write.status).toBe(0);
    expect(Buffer.compare(readFileSync(target), payload)).toBe(0);
    const read = runWrapper({ command: readFileCommand(target, 1024) });
    expect(read.status).toBe(0);
    expect(Buffer.compare(read.stdout, payload)).toBe(0);
  });

  it('reads no more than the bound of a file, from its head', () => {
    const target = path.join(dir, 'big.bin');
    const payload = Buffer.alloc(100_000, 'x');
    expect(runWrapper({ command: writeFileCommand(target, payload.length) }, payload).status).toBe(0);
    const read = runWrapper({ command: readFileCommand(target, 4096) });
    expect(read.status).toBe(0);
    expect(read.stdout.length).toBe(4096);
  });

  it('fails a write whose byte count does not arrive, and reports a missing file', () => {
    const short = runWrapper({ command: writeFileCommand(path.join(dir, 'short'), 10) }, Buffer.from('abc'));
    expect(short.status).not.toBe(0);
    expect(runWrapper({ command: readFileCommand(path.join(dir, 'missing'), 1024) }).status).toBe(
      NO_SUCH_FILE_EXIT_CODE,
    );
  });
});

describe('exec protocol values', () => {
  it('rejects environment names the shell would misread and NUL anywhere', () => {
    const bad: Array<Record<string, string>> = [{ 'A-B': '1' }, { '1A': '1' }, { 'A B': '1' }, { CIF_DIR: '/' }];
    for (const env of bad) {
      expect(() => execHeaderScript({ ...base, env })).toThrow(ValidationError);
    }
    expect(() => execHeaderScript({ ...base, env: { A: 'x\0y' } })).toThrow(ValidationError);
    expect(() => execHeaderScript({ ...base, command: 'echo \0' })).toThrow(ValidationError);
    expect(() => killGroupCommand(1, 'KILL')).toThrow(ValidationError);
  });

  it('reads exit codes from the status channel only', () => {
    expect(parseExecStatus({ status: 'Success' })).toEqual({ kind: 'exited', exitCode: 0 });
    expect(
      parseExecStatus({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        message: 'command terminated with non-zero exit code',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      }),
    ).toEqual({ kind: 'exited', exitCode: 3 });
    expect(parseExecStatus({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [] } }).kind).toBe(
      'error',
    );
    expect(parseExecStatus({ status: 'Failure', reason: 'InternalError', message: 'container not found' })).toEqual({
      kind: 'error',
      message: 'container not found',
    });
    expect(parseExecStatus({}).kind).toBe('error');
  });

  it('parses marker lines strictly', () => {
    expect(parseMarkerLine('ci-fixer-pid 42')).toEqual({ kind: 'pid', pid: 42 });
    expect(parseMarkerLine('ci-fixer-pid 1').kind).toBe('unknown');
    expect(parseMarkerLine('ci-fixer-pid x').kind).toBe('unknown');
    expect(parseMarkerLine('ci-fixer-setup-error cwd')).toEqual({ kind: 'setup-error', what: 'cwd' });
    expect(parseMarkerLine('hello')).toEqual({ kind: 'unknown', line: 'hello' });
  });

  it('resolves sandbox paths against the workdir without touching the disk', () => {
    expect(resolveSandboxPath('/w/task', 'a/b.txt')).toBe('/w/task/a/b.txt');
    expect(resolveSandboxPath('/w/task/', './a//b/../c')).toBe('/w/task/a/c');
    expect(resolveSandboxPath('/w/task', '/etc/hosts')).toBe('/etc/hosts');
    expect(() => resolveSandboxPath('/w', '')).toThrow(ValidationError);
    expect(() => resolveSandboxPath('/w', 'a\0b')).toThrow(ValidationError);
  });
});
