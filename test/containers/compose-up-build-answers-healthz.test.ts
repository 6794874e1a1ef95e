// The README's "Without Kubernetes" steps, for real: `docker compose up --build` (Docker Compose
// v2 as a docker CLI plugin, against podman's Docker API socket) builds the image from the
// repository and starts Redis, the API and a worker; the API answers /healthz and /readyz on its
// loopback port; `docker compose down` removes it all. NODE_IMAGE and REDIS_IMAGE point the
// compose file at the local images (no public registry is reachable here).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/lib/cluster-tools.js';
import { freePort } from '../../src/redis/embedded.js';
import { docker, getJson, runHealthchecks, tail } from '../support/containers.js';
import { waitFor } from '../support/k8s.js';

const project = `ci-fixer-test-${randomBytes(4).toString('hex')}`;
let env: Record<string, string> = {};
const compose = (args: string[], timeoutMs = 180_000) =>
  docker(['compose', '-p', project, ...args], { cwd: REPO_ROOT, env, timeoutMs });

afterAll(async () => {
  await compose(['down', '--volumes', '--timeout', '10']);
});

describe('docker compose up --build through the podman socket', () => {
  it('builds and starts redis, api and worker; the API answers /healthz; down removes everything', {
    timeout: 1_500_000,
  }, async () => {
    const port = await freePort();
    env = {
      NODE_IMAGE: inject('localImages').node,
      REDIS_IMAGE: inject('localImages').redis,
      API_TOKENS: randomBytes(24).toString('hex'),
      REDIS_PASSWORD: randomBytes(24).toString('hex'),
      API_PORT: String(port),
    };
    const health = runHealthchecks(project);
    let up: Awaited<ReturnType<typeof compose>>;
    try {
      up = await compose(['up', '--build', '-d'], 1_200_000);
    } finally {
      await health.stop();
    }
    expect(up.code, `${tail(up)}\n${tail(await compose(['logs', '--tail', '20']))}`).toBe(0);

    const ps = await compose(['ps', '--format', '{{.Service}} {{.State}}']);
    expect(ps.stdout.trim().split('\n').sort(), tail(ps)).toEqual(['api running', 'redis running', 'worker running']);
    // A wait that runs out says why: the services' states and last log lines go into the error.
    const explained = async <T>(wait: Promise<T>): Promise<T> =>
      wait.catch(async (err: unknown) => {
        const [states, logs] = [await compose(['ps', '-a']), await compose(['logs', '--tail', '30'])];
        throw new Error(`${err instanceof Error ? err.message : String(err)}\n${tail(states)}\n${tail(logs)}`);
      });
    const healthz = await explained(
      waitFor(`/healthz of the compose API on 127.0.0.1:${port}`, () => getJson(`http://127.0.0.1:${port}/healthz`), {
        timeoutMs: 60_000,
        intervalMs: 500,
      }),
    );
    expect(healthz).toEqual({ status: 200, body: { status: 'ok' } });
    // Ready means the API reached the password-protected Redis over the compose network.
    const readyz = await explained(
      waitFor(
        '/readyz of the compose API',
        async () => {
          const r = await getJson(`http://127.0.0.1:${port}/readyz`);
          return r?.status === 200 ? r : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      ),
    );
    expect(readyz.body).toEqual({ status: 'ready' });
    const unauthenticated = await fetch(`http://127.0.0.1:${port}/api/v1/tasks`, { signal: AbortSignal.timeout(5000) });
    expect(unauthenticated.status).toBe(401);
    const listed = await fetch(`http://127.0.0.1:${port}/api/v1/tasks`, {
      headers: { authorization: `Bearer ${env.API_TOKENS}` },
      signal: AbortSignal.timeout(5000),
    });
    expect(listed.status).toBe(200);

    const down = await compose(['down', '--timeout', '30']);
    expect(down.code, tail(down)).toBe(0);
    expect(await getJson(`http://127.0.0.1:${port}/healthz`)).toBeUndefined();
    const left = await docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`]);
    expect(left.stdout.trim(), 'containers left after down').toBe('');
  });
});
