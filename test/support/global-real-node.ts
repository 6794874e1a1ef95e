// Global setup of the k8s-real tier (project `k8s-real` of vitest.config.ts, part of `npm test`;
// alone: `npm run test:real-node`): a test cluster with one real node (containerd, kubelet,
// kube-proxy, kube-router's firewall; scripts/test-cluster/real-node.sh) beside the kwok nodes.
// It is its own cluster (CI_FIXER_REAL_NODE_CLUSTER_NAME, default `ci-fixer-real-node`), so the
// kwok tier keeps a cluster of exactly its two simulated nodes.
// Missing binaries or no root fail the run with the reason; the tier is never skipped.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

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

export default async function setup(project: TestProject): Promise<void> {
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
  /** Runs one of the tier's scripts; a failure names it, with the last lines it printed. */
  const script = async (args: string[], timeout: number): Promise<string> => {
    try {
      return (await run('bash', [`${scripts}/${args[0]}`, ...args.slice(1)], { timeout, env })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message?: string };
      throw new Error(
        `real-node tier: ${args.join(' ')} failed: ${e.message ?? String(err)}\n${(e.stderr ?? '').split('\n').slice(-15).join('\n')}`,
      );
    }
  };
  const stdout = await script(['real-node.sh'], UP_TIMEOUT_MS);
  // The chart installs (helm-deploy-*.test.ts) pull the ci-fixer, sandbox and Redis images from the
  // loopback registry: build what this checkout's sources changed and push what it does not serve
  // yet (seconds when nothing changed; the ci-fixer image rebuilds when src/ did).
  await script(['registry.sh', 'push'], PUSH_TIMEOUT_MS);
  const kubeconfig = stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(kubeconfig))
    throw new Error(`real-node tier: real-node.sh printed no kubeconfig path (got "${kubeconfig}")`);
  project.provide('kubeconfig', kubeconfig);
  project.provide('realNode', REAL_NODE_NAME);
  const { stdout: image } = await run('bash', [`${scripts}/real-node/images.sh`, 'ref', 'base'], { timeout: 10_000 });
  project.provide('realNodeImage', image.trim());
}
