// Resolves a real Redis for the run, in this order: CI_FIXER_TEST_REDIS_URL (never REDIS_URL: that
// is ci-fixer's own setting, which a developer's shell may point at a Redis tests must not write
// to; vitest.config.ts drops it); 127.0.0.1:6379 when it answers;
// a testcontainers Redis when a Docker engine is there; a spawned redis-server. No Redis at all
// fails the run with the reason: a suite is never skipped for a missing service.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { TestProject } from 'vitest/node';
import { createEmbeddedRedis } from '../../src/redis/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * A Redis container through testcontainers, or undefined when it finds no Docker engine. The
 * containers tier runs this against podman's socket with a local image (test/containers).
 */
export async function fromTestcontainers(
  image = 'redis:7-alpine',
): Promise<{ url: string; id: string; stop: () => Promise<void> } | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
  } catch {
    return undefined; // no Docker engine here
  }
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer(image).start();
  return { url: container.getConnectionUrl(), id: container.getId(), stop: async () => void (await container.stop()) };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tried: string[] = [];
  const explicit = process.env.CI_FIXER_TEST_REDIS_URL;
  if (explicit) {
    if (!(await answers(explicit))) throw new Error(`CI_FIXER_TEST_REDIS_URL=${explicit} does not answer PING`);
    project.provide('redisUrl', explicit);
    return async () => undefined;
  }
  const local = 'redis://127.0.0.1:6379';
  if (await answers(local)) {
    project.provide('redisUrl', local);
    return async () => undefined;
  }
  tried.push('127.0.0.1:6379 did not answer');
  const container = await fromTestcontainers();
  if (container) {
    project.provide('redisUrl', container.url);
    return container.stop;
  }
  tried.push('no Docker engine for testcontainers');
  const embedded = createEmbeddedRedis({ dir: `.data/test-redis-${process.pid}`, logger: pino({ level: 'silent' }) });
  try {
    project.provide('redisUrl', await embedded.start());
    return () => embedded.stop();
  } catch (err) {
    tried.push(err instanceof Error ? err.message : String(err));
    throw new Error(`no Redis for the test run: ${tried.join('; ')}`);
  }
}
