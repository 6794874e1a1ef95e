// Per-test Redis isolation: a unique key prefix for every test context, and cleanup of exactly
// the keys under it afterwards.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

export function redisUrl(): string {
  return inject('redisUrl');
}

export function uniquePrefix(label = 't'): string {
  return `cfx-test:${label}:${randomUUID().slice(0, 8)}`;
}

export function connect(): Redis {
  return new Redis(redisUrl(), { maxRetriesPerRequest: null, connectTimeout: 5000 });
}

/** Deletes every key under the prefix (SCAN-based, bounded by the key count). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  for (let i = 0; i < 100_000; i++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
    if (cursor === '0') return;
  }
}
