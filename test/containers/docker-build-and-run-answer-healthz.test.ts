// The seed's deploy steps, for real, through podman's Docker API socket: `docker build -t
// ci-fixer:latest .` of the project's Dockerfile (its base swapped for the local Node image with
// --build-arg NODE_IMAGE, since no public registry is reachable here), then `docker run` of that
// image answering /healthz and /readyz against the run's real Redis.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';
import { freePort } from '../../src/redis/embedded.js';
import { docker, getJson, tail } from '../support/containers.js';
import { waitFor } from '../support/k8s.js';

const IMAGE = 'ci-fixer:latest';
const name = `ci-fixer-run-${randomBytes(4).toString('hex')}`;

afterAll(async () => {
  await docker(['rm', '-f', name]);
});

describe('docker build and docker run through the podman socket', () => {
  it('builds the Dockerfile as the seed says, on the local Node base', { timeout: 1_200_000 }, async () => {
    const build = await docker(['build', '-t', IMAGE, '--build-arg', `NODE_IMAGE=${inject('localImages').node}`, '.'], {
      cwd: REPO_ROOT,
      timeoutMs: 1_140_000,
    });
    expect(build.code, tail(build)).toBe(0);
    const inspect = await docker(['image', 'inspect', IMAGE, '--format', '{{json .Config}}']);
    expect(inspect.code, tail(inspect)).toBe(0);
    const config = JSON.parse(inspect.stdout) as {
      User: string;
      Entrypoint: string[];
      Cmd: string[];
      ExposedPorts: Record<string, unknown>;
    };
    expect(config.User).toBe('1000:1000');
    expect(config.Entrypoint).toEqual(['/usr/bin/tini', '--', 'node', '--enable-source-maps', 'dist/src/main.js']);
    expect(config.Cmd).toEqual(['all']);
    expect(Object.keys(config.ExposedPorts).sort()).toEqual(['3001/tcp', '9464/tcp']);
  });

  it('runs the image in api mode as uid 1000, answering /healthz and /readyz on loopback', {
    timeout: 180_000,
  }, async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    // The host's network, so the container reaches the run's Redis on loopback; it listens on
    // 127.0.0.1 only. Its own key prefix keeps it out of other runs' keys in the shared Redis.
    const started = await docker([
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'host',
      '--read-only',
      '--cap-drop',
      'ALL',
      '-e',
      `REDIS_URL=${inject('redisUrl')}`,
      '-e',
      'HOST=127.0.0.1',
      '-e',
      `PORT=${port}`,
      '-e',
      `METRICS_PORT=${metricsPort}`,
      '-e',
      'SANDBOX_DRIVER=local',
      '-e',
      `API_TOKENS=${randomBytes(16).toString('hex')}`,
      '-e',
      `QUEUE_PREFIX=containers-test-${randomBytes(4).toString('hex')}`,
      IMAGE,
      'api',
    ]);
    expect(started.code, tail(started)).toBe(0);
    const logs = async () => tail(await docker(['logs', name]));
    // A container that exited ends the wait at once, with its logs.
    const healthz = await waitFor(
      `/healthz of container ${name}`,
      async () => {
        const state = await docker(['inspect', name, '--format', '{{.State.Status}}']);
        if (state.stdout.trim() === 'exited') return { exited: await logs() };
        return getJson(`http://127.0.0.1:${port}/healthz`);
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(healthz).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await getJson(`http://127.0.0.1:${port}/readyz`), await logs()).toEqual({
      status: 200,
      body: { status: 'ready' },
    });
    expect(await getJson(`http://127.0.0.1:${metricsPort}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    // PID 1 (tini) and so the node process it starts run as the image's numeric non-root user.
    const pid1 = await docker(['exec', name, 'grep', '^Uid:', '/proc/1/status']);
    expect(pid1.stdout, tail(pid1)).toMatch(/^Uid:\s+1000\s+1000\s/);
  });
});
