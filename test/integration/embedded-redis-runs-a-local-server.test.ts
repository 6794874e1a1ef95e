// `npm start` without REDIS_URL runs its own redis-server child; without one, it says how to get one.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createEmbeddedRedis, REDIS_INSTALL_HINT } from '../../src/redis/embedded.js';

describe('embedded redis', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-embedded-redis-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('starts a redis-server on a free loopback port with its data in the given folder, and stops it', async () => {
    const dir = await tempDir();
    const embedded = createEmbeddedRedis({ dir, logger: pino({ level: 'silent' }) });
    const url = await embedded.start();
    expect(url).toMatch(/^redis:\/\/:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await client.connect();
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    client.disconnect();
    await embedded.stop();
    expect((await readdir(dir)).length).toBeGreaterThan(0);
    const after = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
    });
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
  });

  it('prints nothing to stderr while it waits for a redis-server that is slow to listen', async () => {
    // A redis-server that starts listening a second late: the first probes are refused for sure.
    const dir = await tempDir();
    const slow = path.join(dir, 'slow-redis-server');
    await writeFile(slow, '#!/bin/sh\nsleep 1\nexec redis-server "$@"\n', { mode: 0o755 });
    const printed = vi.spyOn(console, 'error');
    const embedded = createEmbeddedRedis({
      dir: path.join(dir, 'data'),
      logger: pino({ level: 'silent' }),
      binary: slow,
    });
    try {
      expect(await embedded.start()).toMatch(/^redis:\/\/:[0-9a-f]{48}@127\.0\.0\.1:\d+$/);
      expect(printed.mock.calls.map((args) => args.map(String).join(' '))).toEqual([]);
    } finally {
      printed.mockRestore();
      await embedded.stop();
    }
  });

  it('fails with install instructions when no redis-server binary exists', async () => {
    const embedded = createEmbeddedRedis({
      dir: await tempDir(),
      logger: pino({ level: 'silent' }),
      binary: 'redis-server-that-does-not-exist',
    });
    const failure = embedded.start();
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(REDIS_INSTALL_HINT);
    expect(REDIS_INSTALL_HINT).toMatch(/apt-get install redis-server.*docker compose up redis.*REDIS_URL/);
  });
});

describe('embedded redis after a crash', () => {
  it('stops a redis-server left behind on the same data folder before starting its own', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-embedded-redis-'));
    try {
      // The first owner "dies" without stopping its server: the server stays up, pidfile and all.
      const first = createEmbeddedRedis({ dir, logger: pino({ level: 'silent' }) });
      const firstUrl = await first.start();
      const second = createEmbeddedRedis({ dir, logger: pino({ level: 'silent' }) });
      const secondUrl = await second.start();
      expect(secondUrl).not.toBe(firstUrl);
      const stale = new Redis(firstUrl, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 1000,
      });
      await expect(stale.connect()).rejects.toThrow();
      stale.disconnect();
      await second.stop();
      await first.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
