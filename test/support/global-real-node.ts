// Global setup of the k8s-real tier (project `k8s-real` of vitest.config.ts, part of `npm test`;
// alone: `npm run test:real-node`): a test cluster with one real node (containerd, kubelet,
// kube-proxy, kube-router's firewall; scripts/test-cluster/real-node.sh) beside the kwok nodes.
// It is its own cluster (CI_FIXER_REAL_NODE_CLUSTER_NAME, default `ci-fixer-real-node`), so the
// kwok tier keeps a cluster of exactly its two simulated nodes.
// Missing binaries or no root fail the run with the reason; the tier is never skipped.
// At the end it stops what it started (the node, its cluster, the loopback registry) and the node's
// --down puts the host's sysctls and iptables back (test/support/host-services.ts); a node that
// was running before the tier is left running.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { clusterScript, keepServices, recordHost, runSteps, scriptSays } from './host-services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    realNode: string;
    /** The debootstrap base image imported into the real node's containerd. */
    realNodeImage: string;
  }
}

const run = promisify(execFile);
const scripts = resolve(import.meta.dirname, '../../scripts/test-cluster');
const UP_TIMEOUT_MS = 300_000;
// A cold ci-fixer image build on 2 busy cores, and the push.
const PUSH_TIMEOUT_MS = 900_000;
export const REAL_NODE_NAME = 'ci-fixer-real-node-0';

async function missing(script: string, build: string): Promise<string | undefined> {
  try {
    await run('bash', [`${scripts}/${script}`, '--check'], { timeout: 10_000 });
    return undefined;
  } catch {
    return `binaries for ${script} are missing (run: ${build})`;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const problems = [
    await missing('build.sh', 'npm run cluster:build'),
    await missing('build-real-node.sh', 'npm run cluster:real-node:build'),
  ].filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new Error(`real-node tier: ${problems.join('; ')}`);
  if (process.getuid?.() !== 0)
    throw new Error(
      'real-node tier: needs root (containerd and the kubelet manage mounts, cgroups and network namespaces)',
    );
  const env = {
    ...process.env,
    CI_FIXER_TEST_CLUSTER_NAME: process.env.CI_FIXER_REAL_NODE_CLUSTER_NAME ?? 'ci-fixer-real-node',
    TC_REAL_NODE_NAME: REAL_NODE_NAME,
  };
  const what = 'real-node tier';
  const host = await recordHost();
  const nodeWasUp = await scriptSays(['real-node.sh', '--status'], env);
  const registryWasUp = await scriptSays(['registry.sh', 'status'], env);
  const clusterWasUp = await scriptSays(['up.sh', '--status'], env);
  const teardown = async () => {
    if (keepServices()) return host.discard();
    await runSteps(what, [
      // --down stops the daemons, removes the node's iptables rules and puts back the sysctls it recorded.
      [
        'real-node.sh --down',
        async () => nodeWasUp || (await clusterScript(['real-node.sh', '--down'], { timeout: 180_000, env, what })),
      ],
      ['down.sh', async () => clusterWasUp || (await clusterScript(['down.sh'], { timeout: 120_000, env, what }))],
      [
        'registry.sh down',
        async () => registryWasUp || (await clusterScript(['registry.sh', 'down'], { timeout: 60_000, env, what })),
      ],
      [
        'the host as found',
        async () => {
          // Only when this tier started the node: a node left running keeps its rules, as it should.
          if (nodeWasUp) return;
          const differences = await host.differences();
          if (differences) console.warn(`${what}: after teardown, ${differences}`);
        },
      ],
      ['record', () => host.discard()],
    ]);
  };
  try {
    const up = await clusterScript(['real-node.sh'], { timeout: UP_TIMEOUT_MS, env, what });
    // The chart installs (helm-deploy-*.test.ts) pull the ci-fixer, sandbox and Redis images from the
    // loopback registry: build what this checkout's sources changed and push what it does not serve
    // yet (seconds when nothing changed; the ci-fixer image rebuilds when src/ did).
    await clusterScript(['registry.sh', 'push'], { timeout: PUSH_TIMEOUT_MS, env, what });
    const kubeconfig = up.stdout.trim().split('\n').pop() ?? '';
    if (!existsSync(kubeconfig))
      throw new Error(`real-node tier: real-node.sh printed no kubeconfig path (got "${kubeconfig}")`);
    project.provide('kubeconfig', kubeconfig);
    project.provide('realNode', REAL_NODE_NAME);
    const { stdout: image } = await run('bash', [`${scripts}/real-node/images.sh`, 'ref', 'base'], { timeout: 10_000 });
    project.provide('realNodeImage', image.trim());
  } catch (err) {
    // A setup that fails half-way gets no teardown from vitest: what it started is stopped here.
    await teardown().catch((e: unknown) => console.warn(String(e)));
    throw err;
  }
  return teardown;
}
