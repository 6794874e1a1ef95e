// The images the real node runs: the sandbox image has what a task's commands need and runs as
// the sandbox's non-root user, and the loopback registry (scripts/test-cluster/registry.sh) serves
// the built images so that a client with none of them cached pulls the very same image.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { docker, runWithDocker, tail } from '../support/containers.js';

const scripts = resolve(import.meta.dirname, '../../scripts/test-cluster');

describe('the local images', () => {
  it('gives the sandbox image git, Node >= 22, npm, Python 3 and a C toolchain, as uid 1000', async () => {
    const script =
      'id -u; id -g; node -p process.versions.node; npm --version; git --version; python3 -c "import sys; print(sys.version_info[0])"; cc --version | head -1; make --version | head -1';
    const r = await docker([
      'run',
      '--rm',
      '--read-only',
      '--cap-drop',
      'ALL',
      inject('localImages').sandbox,
      'sh',
      '-c',
      script,
    ]);
    expect(r.code, tail(r)).toBe(0);
    const [uid, gid, node, npm, git, python, cc, make] = r.stdout.trim().split('\n');
    expect([uid, gid]).toEqual(['1000', '1000']);
    expect(Number(node?.split('.')[0])).toBeGreaterThanOrEqual(22);
    expect(npm).toMatch(/^\d+\.\d+\.\d+$/);
    expect(git).toMatch(/^git version 2\./);
    expect(python).toBe('3');
    expect(cc).toMatch(/^cc \(Debian/);
    expect(make).toMatch(/^GNU Make/);
  });

  it('are pushed to the loopback registry, from which an empty image store pulls the same image', {
    timeout: 900_000,
  }, async () => {
    const push = await runWithDocker('bash', [`${scripts}/registry.sh`, 'push'], { timeoutMs: 840_000 });
    expect(push.code, tail(push)).toBe(0);
    const refs = Object.fromEntries(
      push.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ')),
    );
    expect(Object.keys(refs).sort()).toEqual(['ci-fixer', 'node', 'redis', 'sandbox']);
    for (const ref of Object.values(refs)) expect(ref).toMatch(/^127\.0\.0\.1:\d+\/ci-fixer\/[a-z-]+:[0-9a-f]{12}$/);
    expect(refs.redis).toBe(inject('localImages').redis);

    const store = await mkdtemp(join(tmpdir(), 'ci-fixer-pull-'));
    const isolated = (args: string[]) =>
      runWithDocker('podman', ['--root', join(store, 'root'), '--runroot', join(store, 'run'), ...args], {
        timeoutMs: 300_000,
      });
    try {
      const pull = await isolated(['pull', '-q', '--tls-verify=false', refs.redis!]);
      expect(pull.code, tail(pull)).toBe(0);
      const local = await runWithDocker('podman', ['image', 'inspect', '--format', '{{.Id}}', refs.redis!], {
        timeoutMs: 30_000,
      });
      expect(pull.stdout.trim()).toBe(local.stdout.trim());
      const version = await isolated(['run', '--rm', refs.redis!, 'redis-server', '--version']);
      expect(version.stdout, tail(version)).toMatch(/^Redis server v=7\./);
    } finally {
      await isolated(['rmi', '-a', '-f']);
      await rm(store, { recursive: true, force: true });
    }
  });
});
