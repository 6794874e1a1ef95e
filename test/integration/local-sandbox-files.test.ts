// writeFile/readFile of the local driver: byte-exact round trips that the commands see too, and
// paths that try to leave the workdir.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { Sandbox, SandboxProvider } from '../../src/sandbox/types.js';
import { LineLog, startLocalProvider } from '../support/local-sandbox.js';

const T = { timeoutMs: 30_000 };
let provider: SandboxProvider;
let sandbox: Sandbox;
let outside: string;

beforeAll(async () => {
  ({ provider } = await startLocalProvider());
  sandbox = await provider.create({ taskId: 'files', timeoutSeconds: 600 });
  outside = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-outside-'));
  await writeFile(path.join(outside, 'secret.txt'), 'do not touch');
});
afterAll(async () => {
  await provider.stop();
  await rm(outside, { recursive: true, force: true });
});

/** sha256 of a sandbox file as computed by a command inside the sandbox. */
async function shaInside(file: string): Promise<string> {
  const log = new LineLog();
  const result = await sandbox.exec(`sha256sum < ${JSON.stringify(file)}`, { ...T, onOutput: log.onOutput });
  expect(result.exitCode).toBe(0);
  return (log.lines[0]?.line ?? '').split(' ')[0] ?? '';
}
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('local sandbox files', () => {
  it('round-trips every byte value exactly', async () => {
    const bytes = Buffer.alloc(1024, 0).map((_, i) => i % 256);
    await sandbox.writeFile('bin/all-bytes.bin', bytes);
    expect(Buffer.compare(await sandbox.readFile('bin/all-bytes.bin'), bytes)).toBe(0);
    expect(await shaInside('bin/all-bytes.bin')).toBe(sha(bytes));
  });

  it('reads at most the bound of a file the task wrote, from its head (default 8 MiB)', async () => {
    await sandbox.exec('head -c 20000000 /dev/zero | tr "\\0" y > huge.txt', T);
    const head = await sandbox.readFile('huge.txt', 1000);
    expect(head.length).toBe(1000);
    expect(head.toString('utf8')).toBe('y'.repeat(1000));
    expect((await sandbox.readFile('huge.txt')).length).toBe(8 * 1024 * 1024);
  });

  it('keeps text with a line reading EOF and no trailing newline as is', async () => {
    const text = 'first\nEOF\nlast without newline';
    await sandbox.writeFile('notes.txt', text);
    expect((await sandbox.readFile('notes.txt')).toString('utf8')).toBe(text);
    const log = new LineLog();
    await sandbox.exec('cat notes.txt', { ...T, onOutput: log.onOutput });
    expect(log.lines.map((l) => l.line)).toEqual(['first', 'EOF', 'last without newline']);
  });

  it('handles spaces and quotes in paths, creating parent directories', async () => {
    const name = `dir with space/it's "quoted"/file name.txt`;
    await sandbox.writeFile(name, 'quoted content\n');
    expect((await sandbox.readFile(name)).toString()).toBe('quoted content\n');
    const log = new LineLog();
    await sandbox.exec(`cat "dir with space"/*/*.txt`, { ...T, onOutput: log.onOutput });
    expect(log.lines.map((l) => l.line)).toEqual(['quoted content']);
  });

  it('round-trips a file of several MiB', async () => {
    const big = randomBytes(6 * 1024 * 1024 + 17);
    await sandbox.writeFile('big.bin', big);
    expect(Buffer.compare(await sandbox.readFile('big.bin'), big)).toBe(0);
    expect(await shaInside('big.bin')).toBe(sha(big));
  });

  it('reads what a command wrote, and accepts absolute paths inside the workdir', async () => {
    await sandbox.exec("printf 'from sh' > made-by-sh.txt", T);
    expect((await sandbox.readFile(path.join(sandbox.workdir, 'made-by-sh.txt'))).toString()).toBe('from sh');
    await sandbox.writeFile(path.join(sandbox.workdir, 'abs.txt'), 'abs');
    expect((await sandbox.readFile('abs.txt')).toString()).toBe('abs');
  });

  it('overwrites an existing file completely', async () => {
    await sandbox.writeFile('over.txt', 'a long first version');
    await sandbox.writeFile('over.txt', 'short');
    expect((await sandbox.readFile('over.txt')).toString()).toBe('short');
  });

  it('says plainly when a file does not exist', async () => {
    await expect(sandbox.readFile('nope.txt')).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringMatching(/no such file/),
    });
  });

  it.each(['../escape.txt', 'a/../../escape.txt', '/etc/passwd', '/tmp/escape.txt', '', 'nul\0byte'])(
    'rejects the path %j with a clear error',
    async (bad) => {
      await expect(sandbox.writeFile(bad, 'x')).rejects.toBeInstanceOf(ValidationError);
      await expect(sandbox.readFile(bad)).rejects.toBeInstanceOf(ValidationError);
    },
  );

  it('rejects paths that escape through a symbolic link, without touching the target', async () => {
    await sandbox.exec(
      `ln -s ${JSON.stringify(outside)} out-link && ln -s ${JSON.stringify(path.join(outside, 'secret.txt'))} secret-link`,
      T,
    );
    await expect(sandbox.readFile('out-link/secret.txt')).rejects.toThrow(/escapes the workdir/);
    await expect(sandbox.readFile('secret-link')).rejects.toThrow(/escapes the workdir/);
    await expect(sandbox.writeFile('secret-link', 'overwritten')).rejects.toThrow(/escapes the workdir/);
    await expect(sandbox.writeFile('out-link/new-dir/new.txt', 'planted')).rejects.toThrow(/escapes the workdir/);
    expect(await readFile(path.join(outside, 'secret.txt'), 'utf8')).toBe('do not touch');
    await expect(readFile(path.join(outside, 'new-dir/new.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('follows a symbolic link that stays inside the workdir', async () => {
    await sandbox.writeFile('real/target.txt', 'inside');
    await sandbox.exec('ln -s real inner-link', T);
    expect((await sandbox.readFile('inner-link/target.txt')).toString()).toBe('inside');
  });
});
