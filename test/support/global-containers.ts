// Global setup of the containers tier (test/containers): a Docker-compatible engine, podman's
// Docker API socket (scripts/test-cluster/podman-service.sh), and the local images built from the
// debootstrap base (scripts/test-cluster/real-node/images.sh build-all): no public image registry
// is reachable where these tests run. A missing tool or image fails the run with what to install
// or build; the tier is never skipped. Builds are not started here (they take minutes cold):
// scripts/test.sh runs them before the tests.
// At the end it stops the podman service if it started it, and puts back the sysctls podman's
// networks changed (ip_forward; test/support/host-services.ts), and the loopback registry if a test
// started it. The tier refuses to run beside the
// real node's NetworkPolicy controller (test/support/containers-beside-no-firewall.ts).
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { scrubbedEnv } from '../../scripts/lib/child-env.js';
import { keepServices, recordHost, runSteps, scriptSays } from './host-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** DOCKER_HOST, DOCKER_CONFIG (with the compose plugin), DOCKER_BUILDKIT=0, … for docker clients. */
    dockerEnv: Record<string, string>;
    /** Local image references: the node base the Dockerfile builds on, the sandbox, the Redis 7 stand-in. */
    localImages: { node: string; sandbox: string; redis: string };
  }
}

const run = promisify(execFile);
const scripts = resolve(import.meta.dirname, '../../scripts/test-cluster');

async function fails(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    await run(file, args, { timeout: 30_000, env });
    return undefined;
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    return (e.stderr ?? '').trim().split('\n').pop() || (e.message ?? String(err));
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.getuid?.() !== 0)
    throw new Error('containers tier: needs root (rootful podman and its socket under /run)');
  const problems: string[] = [];
  for (const [tool, install] of [
    ['podman', 'apt-get install podman'],
    ['runc', 'apt-get install runc'],
    ['docker', 'a docker CLI (the machine image ships one; see docs/test-cluster.md)'],
  ] as const) {
    if (await fails('sh', ['-c', `command -v ${tool}`])) problems.push(`${tool} is missing (${install})`);
  }
  // Compose services find each other by name only through this CNI plugin (podman's CNI backend).
  if (
    await fails('sh', [
      '-c',
      'test -x /usr/lib/cni/dnsname || podman info --format "{{.Host.NetworkBackend}}" | grep -qx netavark',
    ])
  ) {
    problems.push(
      "podman's networks resolve no names (apt-get install golang-github-containernetworking-plugin-dnsname)",
    );
  }
  if (await fails('bash', [`${scripts}/build-container-tools.sh`, '--check'])) {
    problems.push(
      'the registry or docker-compose binary is missing (run: bash scripts/test-cluster/build-container-tools.sh)',
    );
  }
  if (problems.length > 0) throw new Error(`containers tier: ${problems.join('; ')}`);

  const serviceWasUp = await scriptSays(['podman-service.sh', 'status']);
  // local-images-serve-from-loopback-registry.test.ts pushes to the loopback registry.
  const registryWasUp = await scriptSays(['registry.sh', 'status']);
  const host = await recordHost();
  const teardown = async () => {
    if (keepServices()) return host.discard();
    await runSteps('containers tier', [
      [
        'podman-service.sh down',
        async () => serviceWasUp || (await run('bash', [`${scripts}/podman-service.sh`, 'down'])),
      ],
      ['registry.sh down', async () => registryWasUp || (await run('bash', [`${scripts}/registry.sh`, 'down']))],
      [
        'the host as found',
        async () => {
          const restored = await host.restore();
          if (restored) console.warn(`containers tier: ${restored}`);
        },
      ],
      ['record', () => host.discard()],
    ]);
  };
  try {
    await provideEngine(project);
  } catch (err) {
    await teardown().catch((e: unknown) => console.warn(String(e)));
    throw err;
  }
  return teardown;
}

/** The Docker API socket's client environment and the local images, or what is missing. */
async function provideEngine(project: TestProject): Promise<void> {
  const problems: string[] = [];
  const { stdout } = await run('bash', [`${scripts}/podman-service.sh`, 'env'], { timeout: 60_000 });
  const dockerEnv = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const ref = async (name: string) =>
    (await run('bash', [`${scripts}/real-node/images.sh`, 'ref', name], { timeout: 30_000 })).stdout.trim();
  const localImages = { node: await ref('node'), sandbox: await ref('sandbox'), redis: await ref('redis') };
  for (const image of Object.values(localImages)) {
    if (await fails('podman', ['image', 'exists', image], scrubbedEnv(dockerEnv))) {
      problems.push(`image ${image} is not built (run: bash scripts/test-cluster/real-node/images.sh build-all)`);
    }
  }
  if (problems.length > 0) throw new Error(`containers tier: ${problems.join('; ')}`);
  project.provide('dockerEnv', dockerEnv);
  project.provide('localImages', localImages);
}
