// The bundled Redis of the chart: maxmemory with noeviction always (full means refused writes,
// never silently evicted tasks), AOF on a PersistentVolumeClaim when persistence is on, and a
// NOTES warning when it is off. The rendered arguments are then run on a real redis-server.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { renderChart, type Rendered } from '../support/chart-render.js';
import { CHART, helm } from '../support/helm-release.js';
import { waitUntil } from '../support/local-sandbox.js';

const PERSISTENT = ['--set', 'redis.bundled.persistence.enabled=true', '--set', 'redis.bundled.persistence.size=3Gi'];
const redisArgs = (r: Rendered): string[] =>
  r.get('Deployment', 'ci-fixer-redis').spec.template.spec.containers[0].args;
const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];

describe('the bundled Redis', () => {
  it('without persistence: maxmemory with noeviction, no AOF, an emptyDir', async () => {
    const r = await renderChart();
    const args = redisArgs(r);
    expect(flag(args, '--maxmemory')).toBe('192mb');
    expect(flag(args, '--maxmemory-policy')).toBe('noeviction');
    expect(flag(args, '--appendonly')).toBe('no');
    expect(r.all('PersistentVolumeClaim')).toEqual([]);
    expect(r.get('Deployment', 'ci-fixer-redis').spec.template.spec.volumes).toEqual([
      { name: 'data', emptyDir: { sizeLimit: '256Mi' } },
    ]);
  });

  it('with persistence: AOF (fsync every second) on a PersistentVolumeClaim mounted at /data', async () => {
    const r = await renderChart(PERSISTENT);
    const args = redisArgs(r);
    expect(flag(args, '--appendonly')).toBe('yes');
    expect(flag(args, '--appendfsync')).toBe('everysec');
    expect(flag(args, '--maxmemory-policy')).toBe('noeviction');
    expect(r.get('PersistentVolumeClaim', 'ci-fixer-redis').spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '3Gi' } },
    });
    const pod = r.get('Deployment', 'ci-fixer-redis').spec.template.spec;
    expect(pod.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'ci-fixer-redis' } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'data', mountPath: '/data' }]);
  });

  it('warns in NOTES when persistence is off, and not when it is on', async () => {
    const notes = async (args: string[]) =>
      (await helm(['install', 'notes-check', CHART, '--dry-run=client', '--namespace', 'notes-check', ...args])).stdout;
    expect(await notes([])).toMatch(/WARNING: the bundled Redis has no persistence/);
    expect(await notes(PERSISTENT)).not.toMatch(/WARNING: the bundled Redis/);
  });

  it('runs on a real redis-server with the rendered arguments: full means refused writes, not evictions', async () => {
    // Kubernetes expands $(REDIS_PASSWORD) from the pod's env (the Secret); so does this test.
    const password = 'chart-test-password';
    const rendered = redisArgs(await renderChart(PERSISTENT)).slice(1);
    expect(flag(rendered, '--requirepass')).toBe('$(REDIS_PASSWORD)');
    const args = rendered.map((arg) => arg.replace('$(REDIS_PASSWORD)', password));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-chart-redis-'));
    const socket = path.join(dir, 'redis.sock');
    // The chart's arguments, then this test's own socket and folder (no TCP port: nothing shared).
    const server = spawn('redis-server', [...args, '--port', '0', '--unixsocket', socket, '--dir', dir], {
      stdio: 'ignore',
    });
    const redis = new Redis(socket, {
      password,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    try {
      await waitUntil(
        async () =>
          (await redis.connect().then(
            () => redis.ping(),
            () => undefined,
          )) === 'PONG',
        'redis-server to answer',
      );
      expect(await redis.config('GET', 'maxmemory')).toEqual(['maxmemory', String(192 * 1024 * 1024)]);
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      // Shrink the limit to fill it quickly: what matters is what the policy does at the limit.
      await redis.config('SET', 'maxmemory', String(4 * 1024 * 1024));
      await redis.set('ci-fixer:task:first', 'x'.repeat(1024));
      const refused = await (async () => {
        for (let i = 0; i < 1000; i++) {
          const error = await redis.set(`filler:${i}`, 'y'.repeat(64 * 1024)).then(
            () => undefined,
            (err: Error) => err,
          );
          if (error) return error;
        }
        return undefined;
      })();
      expect(refused?.message).toMatch(/^OOM /);
      expect(await redis.get('ci-fixer:task:first')).toBe('x'.repeat(1024));
    } finally {
      redis.disconnect();
      const exited = once(server, 'exit');
      server.kill('SIGKILL');
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
