// A new bundled-Redis password must roll the Redis pod (it reads the password only at start) and
// the api and worker pods (they read it from the Secret at start), as the standard Helm checksum
// annotations do; rotating an unrelated credential must not restart Redis (no persistence: its
// data would be lost). Rendered with the real helm binary.
import { describe, expect, it } from 'vitest';
import { renderChart, type Rendered } from '../support/chart-render.js';

const podAnnotations = (r: Rendered, name: string): Record<string, string> =>
  (r.get('Deployment', name).spec.template.metadata.annotations ?? {}) as Record<string, string>;

describe('the bundled Redis password', () => {
  it('changes the pod template checksums of Redis, api and worker when it changes, and only then for Redis', async () => {
    const [one, two, otherToken] = await Promise.all([
      renderChart(['--set', 'secret.redisPassword=first-password', '--set', 'secret.gitToken=token-a']),
      renderChart(['--set', 'secret.redisPassword=second-password', '--set', 'secret.gitToken=token-a']),
      renderChart(['--set', 'secret.redisPassword=first-password', '--set', 'secret.gitToken=token-b']),
    ]);
    const redisOne = podAnnotations(one, 'ci-fixer-redis')['checksum/redis-password'];
    expect(redisOne).toMatch(/^[0-9a-f]{64}$/);
    expect(podAnnotations(two, 'ci-fixer-redis')['checksum/redis-password']).not.toBe(redisOne);
    for (const app of ['ci-fixer-app', 'ci-fixer-worker']) {
      expect(podAnnotations(two, app)['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
      expect(podAnnotations(two, app)['checksum/secret']).not.toBe(podAnnotations(one, app)['checksum/secret']);
    }
    // Another credential rotated: the app pods roll, Redis keeps running.
    expect(podAnnotations(otherToken, 'ci-fixer-redis')['checksum/redis-password']).toBe(redisOne);
    expect(podAnnotations(otherToken, 'ci-fixer-app')['checksum/secret']).not.toBe(
      podAnnotations(one, 'ci-fixer-app')['checksum/secret'],
    );
    // The checksum is a digest, never the password itself.
    expect(JSON.stringify(one.get('Deployment', 'ci-fixer-redis'))).not.toContain('first-password');
  });

  it('keeps the Redis checksum of a generated password stable across renders', async () => {
    const [a, b] = await Promise.all([renderChart(), renderChart()]);
    // Each render generates a different password (no live Secret to read it back from) ...
    expect(a.get('Secret', 'ci-fixer-secrets').data.REDIS_PASSWORD).not.toBe(
      b.get('Secret', 'ci-fixer-secrets').data.REDIS_PASSWORD,
    );
    // ... but an upgrade keeps the live one, so nothing must roll for it.
    expect(podAnnotations(a, 'ci-fixer-redis')['checksum/redis-password']).toMatch(/^[0-9a-f]{64}$/);
    expect(podAnnotations(a, 'ci-fixer-redis')['checksum/redis-password']).toBe(
      podAnnotations(b, 'ci-fixer-redis')['checksum/redis-password'],
    );
  });
});
