// The test run's testcontainers path (test/support/global-redis.ts: a Redis container when a
// Docker engine is there), for real: testcontainers against podman's Docker API socket, with the
// local Redis 7 image standing in for redis:7-alpine (no public registry is reachable here).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { docker, tail } from '../support/containers.js';
import { fromTestcontainers } from '../support/global-redis.js';

describe('testcontainers Redis through the podman socket', () => {
  it('starts a Redis 7 container that serves commands on its mapped port, and removes it on stop', {
    timeout: 180_000,
  }, async () => {
    // testcontainers reads the engine from the environment, as it would from a developer's shell.
    Object.assign(process.env, inject('dockerEnv'));
    const redis = await fromTestcontainers(inject('localImages').redis);
    if (!redis) throw new Error(`testcontainers found no Docker engine at DOCKER_HOST=${process.env.DOCKER_HOST}`);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, connectTimeout: 5000 });
    try {
      const key = `containers-test:${randomBytes(4).toString('hex')}`;
      expect(await client.set(key, 'through podman')).toBe('OK');
      expect(await client.get(key)).toBe('through podman');
      expect(await client.info('server')).toMatch(/^redis_version:7\./m);
      const inspect = await docker(['inspect', redis.id, '--format', '{{.State.Status}} {{.Config.Image}}']);
      expect(inspect.stdout.trim(), tail(inspect)).toBe(`running ${inject('localImages').redis}`);
    } finally {
      client.disconnect();
      await redis.stop();
    }
    const gone = await docker(['inspect', redis.id]);
    expect(gone.code, 'the container is removed once stopped').not.toBe(0);
  });
});
