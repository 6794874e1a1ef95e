// The chart installed on the real node (test/k8s-real/helm-deploy-*.test.ts): values that put
// every pod of a release, and its sandboxes, on the real node with the locally built images, and
// `kubectl port-forward deployment/ci-fixer-app` to reach its API from the test.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { toolPath } from '../../scripts/lib/cluster-tools.js';
import { freePort } from '../../src/redis/embedded.js';
import { REAL_NODE_PLACEMENT } from './real-node.js';

const run = promisify(execFile);
export const RESTRICTED = { 'pod-security.kubernetes.io/enforce': 'restricted' };

export async function imageRef(name: string): Promise<{ repository: string; tag: string }> {
  const { stdout } = await run('bash', ['scripts/test-cluster/real-node/images.sh', 'ref', name], { timeout: 10_000 });
  const ref = stdout.trim();
  const colon = ref.lastIndexOf(':');
  return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

type Values = Record<string, unknown>;

/** `extra` merged into `base`, objects key by key (lists and scalars replace). */
function merge(base: Values, extra: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    const bothObjects = [current, value].every((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
    out[key] = bothObjects ? merge(current as Values, value as Values) : value;
  }
  return out;
}

/**
 * Values (a JSON file, which is YAML) that put every pod of the release, and its sandboxes, on
 * the real node; `extra` is merged in.
 */
export async function realNodeValuesFile(options: {
  apiToken: string;
  redisIp: string;
  extra?: Values;
}): Promise<string> {
  const [app, redis, sandbox] = await Promise.all([imageRef('ci-fixer'), imageRef('redis'), imageRef('sandbox')]);
  const { nodeSelector, tolerations } = REAL_NODE_PLACEMENT;
  const values: Values = {
    image: app,
    nodeSelector,
    tolerations,
    // The test cluster runs no cluster DNS: the Redis Service gets a fixed address, and the pods
    // an /etc/hosts entry for its name.
    hostAliases: [{ ip: options.redisIp, hostnames: ['ci-fixer-redis'] }],
    // The node has 2 cores shared with everything else: small requests so all pods fit.
    resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
    redis: {
      bundled: {
        image: redis,
        service: { clusterIP: options.redisIp },
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '250m', memory: '256Mi' } },
      },
    },
    sandbox: { image: `${sandbox.repository}:${sandbox.tag}` },
    config: {
      extraEnv: {
        SANDBOX_NODE_SELECTOR: Object.entries(nodeSelector)
          .map(([key, value]) => `${key}=${value}`)
          .join(','),
        SANDBOX_TOLERATIONS: tolerations.map((t) => `${t.key}=${t.value}:${t.effect}`).join(','),
      },
    },
    secret: { apiTokens: options.apiToken },
  };
  const dir = await mkdtemp(join(tmpdir(), 'ci-fixer-real-deploy-'));
  const file = join(dir, 'values.json');
  await writeFile(file, JSON.stringify(merge(values, options.extra ?? {}), null, 2));
  return file;
}

/**
 * An address in the test cluster's service range (kwokctl's 10.96.0.0/16), in its upper half,
 * which the allocator uses last; random so that a leftover release cannot hold it.
 */
export function randomServiceIp(): string {
  return `10.96.${128 + Math.floor(Math.random() * 127)}.${1 + Math.floor(Math.random() * 254)}`;
}

/** `kubectl port-forward deployment/ci-fixer-app <port>:3001`, resolved once kubectl says it forwards. */
export async function portForward(namespace: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    await toolPath('kubectl'),
    ['--kubeconfig', inject('kubeconfig'), '-n', namespace, 'port-forward', 'deployment/ci-fixer-app', `${port}:3001`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`port-forward did not start within 30 s: ${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Forwarding from')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward exited ${code}: ${output}`));
    });
  });
  return { port, child };
}
