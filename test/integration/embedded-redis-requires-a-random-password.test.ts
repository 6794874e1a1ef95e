// The embedded dev Redis requires a password, random per start: a client on the same machine that
// only knows the port is refused (NOAUTH), the URL it hands to ci-fixer carries the password, and
// the password is never on redis-server's command line (readable by every local user).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedRedis } from '../../src/redis/embedded.js';

describe('embedded redis password', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('refuses a client without the password, takes the URL it hands out, and keeps it off the command line', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-embedded-auth-'));
    dirs.push(dir);
    const first = createEmbeddedRedis({ dir, logger: pino({ level: 'silent' }) });
    const url = await first.start();
    try {
      const { port, password } = new URL(url);
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      expect(password).toBe(first.password);

      // A stranger speaks the protocol on the port without a password.
      const socket = connect(Number(port), '127.0.0.1');
      socket.end('GET k\r\n');
      const chunks: Buffer[] = [];
      for await (const chunk of socket) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toMatch(/^-NOAUTH/);

      const owner = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      await owner.connect();
      await owner.set('k', 'v');
      expect(await owner.get('k')).toBe('v');
      owner.disconnect();

      const pid = Number((await readFile(path.join(dir, 'redis-server.pid'), 'utf8')).trim());
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      expect(cmdline).toContain('redis-server');
      expect(cmdline).not.toContain(password);
    } finally {
      await first.stop();
    }
    // Another start, another password.
    const second = createEmbeddedRedis({ dir, logger: pino({ level: 'silent' }) });
    await second.start();
    try {
      expect(second.password).not.toBe(first.password);
    } finally {
      await second.stop();
    }
  });
});
