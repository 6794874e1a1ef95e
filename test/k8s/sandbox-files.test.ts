// writeFile / readFile through exec stdin/stdout on a real API server: content and paths that
// break naive heredoc or unquoted transfers arrive byte for byte.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useProvider, useSandbox, useSandboxNamespace } from '../support/k8s-sandbox.js';

describe('kubernetes sandbox files', () => {
  const ns = useSandboxNamespace('sbx-files');
  const p = useProvider(ns);
  const box = useSandbox(p);

  async function roundTrip(path: string, data: Buffer): Promise<void> {
    await box.current.writeFile(path, data);
    const back = await box.current.readFile(path);
    expect(back.length).toBe(data.length);
    expect(back.equals(data)).toBe(true);
  }

  it('round-trips binary data, including every byte value', async () => {
    await roundTrip('bin/all-bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256)));
  });

  it('round-trips a line that says EOF and content without a trailing newline', async () => {
    const content = Buffer.from("first\nEOF\n'EOF'\n$(echo not run)\nlast line");
    await roundTrip('heredoc-breaker.txt', content);
    // The command side sees the same bytes: the $(...) was not expanded on the way in.
    const lines: string[] = [];
    await box.current.exec('tail -n 2 heredoc-breaker.txt; echo; wc -c < heredoc-breaker.txt', {
      timeoutMs: 30_000,
      onOutput: (_s, l) => lines.push(l),
    });
    expect(lines).toEqual(['$(echo not run)', 'last line', String(content.length)]);
  });

  it('round-trips paths with spaces and quotes, creating their parent directories', async () => {
    await roundTrip(`dir with space/it's "quoted"/file name.txt`, Buffer.from('content'));
    const lines: string[] = [];
    await box.current.exec(`cat "dir with space/it's \\"quoted\\"/file name.txt"`, {
      timeoutMs: 30_000,
      onOutput: (_s, l) => lines.push(l),
    });
    expect(lines).toEqual(['content']);
  });

  it('round-trips a file of several MiB', async () => {
    await roundTrip('big/random.bin', randomBytes(6 * 1024 * 1024 + 123));
  });

  it('writes strings as UTF-8 and empty files as empty', async () => {
    await box.current.writeFile('utf8.txt', 'ünïcødé ✓');
    expect((await box.current.readFile('utf8.txt')).toString('utf8')).toBe('ünïcødé ✓');
    await roundTrip('.ci-fixer/.keep', Buffer.alloc(0));
  });

  it('accepts absolute paths inside the sandbox and reports a missing file as ENOENT', async () => {
    await roundTrip(`${box.current.workdir}/abs.txt`, Buffer.from('abs'));
    expect((await box.current.readFile('abs.txt')).toString()).toBe('abs');
    await expect(box.current.readFile('no/such/file')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
