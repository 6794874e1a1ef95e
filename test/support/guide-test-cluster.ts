// What the test cluster needs before the deployment guide can run on it word for word, and only
// because it is the test cluster (a Minikube or cloud cluster needs none of it). The guide's
// commands and the k8s/ manifests stay as a user has them:
// - no public registry is reachable: the Dockerfile's base (node:24-bookworm-slim) is the local
//   Node image under that name in podman, and the images the manifests name (redis:7-alpine, the
//   sandbox image) are the local ones under those names in the real node's containerd; the guide's
//   own image is loaded after `docker build` as `minikube image load ci-fixer:latest` would;
// - pods must really run, so a MutatingAdmissionPolicy puts every pod of the guide's namespace on
//   the real node (its nodeSelector and toleration; the kwok nodes would only pretend to run them);
// - there is no cluster DNS: the same policy pins the Service ci-fixer-redis to an address and
//   gives those pods an /etc/hosts entry for its name (hostAliases), as the chart's real-node tests
//   do with values;
// - `kubectl port-forward ... 3000:3001` binds port 3000: it runs in a network namespace of the
//   test's own, with the API server's port relayed into it over a Unix socket.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO_ROOT, runTool } from '../../scripts/lib/cluster-tools.js';
import { imageRef } from './real-deploy.js';
import { REAL_NODE_PLACEMENT } from './real-node.js';
import { waitFor } from './k8s.js';

const run = promisify(execFile);
const POLICY = 'ci-fixer-test-guide';

/** `real-node.sh ctr ...` on the real node's containerd (namespace k8s.io). */
async function nodeCtr(args: string[], timeoutMs = 300_000): Promise<string> {
  const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts/test-cluster/real-node.sh'), 'ctr', ...args], {
    timeout: timeoutMs,
    env: {
      ...process.env,
      CI_FIXER_TEST_CLUSTER_NAME: process.env.CI_FIXER_REAL_NODE_CLUSTER_NAME ?? 'ci-fixer-real-node',
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** Local image (`images.sh ref <name>`) under another name in the real node's containerd. */
async function nodeImageAs(local: string, name: string): Promise<void> {
  const { repository, tag } = await imageRef(local);
  const ref = `${repository}:${tag}`;
  await nodeCtr(['images', 'pull', '--plain-http', ref]);
  await nodeCtr(['images', 'tag', '--force', ref, name]);
}

/** The images the guide's manifests and sandbox script name, but which no registry here serves. */
export async function preloadGuideImages(): Promise<void> {
  await nodeImageAs('redis', 'docker.io/library/redis:7-alpine');
  await nodeImageAs('sandbox', 'docker.io/nikolaik/python-nodejs:python3.11-nodejs20-bullseye');
}

/** The Dockerfile's default base, as the local Node image, for `docker build` (podman). */
export async function dockerfileBaseImage(docker: (cmd: string) => Promise<{ code: number }>): Promise<void> {
  const { repository, tag } = await imageRef('node');
  const tagged = await docker(`docker tag ${repository}:${tag} node:24-bookworm-slim`);
  if (tagged.code !== 0) throw new Error('docker tag of the local Node image failed');
}

/** `minikube image load ci-fixer:latest`, for the real node: docker save, then ctr import. */
export async function loadImageIntoNode(
  docker: (cmd: string) => Promise<{ code: number; stderr: string }>,
  image: string,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ci-fixer-guide-image-'));
  try {
    const archive = join(dir, 'image.tar');
    const saved = await docker(`docker save -o ${archive} ${image}`);
    if (saved.code !== 0) throw new Error(`docker save ${image}: ${saved.stderr}`);
    await nodeCtr(['images', 'import', archive]);
    // podman may have saved it as localhost/<image>; the kubelet looks for docker.io/library/<image>.
    const names = (await nodeCtr(['images', 'ls', '-q'])).split('\n');
    const wanted = `docker.io/library/${image}`;
    if (!names.includes(wanted)) {
      const saved = names.find((n) => n.endsWith(`/${image}`));
      if (!saved) throw new Error(`ctr import of ${image} produced no such image`);
      await nodeCtr(['images', 'tag', '--force', saved, wanted]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** kubectl with the tier's kubeconfig, for the test's own objects (not a guide command). */
async function kubectl(kubeconfig: string, args: string[]): Promise<string> {
  const r = await runTool('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function placementPolicies(namespace: string, redisIp: string): string {
  const { nodeSelector, tolerations } = REAL_NODE_PLACEMENT;
  const selector = Object.entries(nodeSelector)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(', ');
  const tols = tolerations
    .map(
      (t) =>
        `Object.spec.tolerations{key: ${JSON.stringify(t.key)}, operator: ${JSON.stringify(t.operator)}, value: ${JSON.stringify(t.value)}, effect: ${JSON.stringify(t.effect)}}`,
    )
    .join(', ');
  const pod = `Object{spec: Object.spec{nodeSelector: {${selector}}, tolerations: [${tols}], hostAliases: [Object.spec.hostAliases{ip: ${JSON.stringify(redisIp)}, hostnames: ["ci-fixer-redis"]}]}}`;
  const service = `Object{spec: Object.spec{clusterIP: ${JSON.stringify(redisIp)}}}`;
  const policy = (name: string, resource: string, expression: string, condition?: string) => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicy',
    metadata: { name },
    spec: {
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: [resource] }],
      },
      ...(condition ? { matchConditions: [{ name: 'only', expression: condition }] } : {}),
      failurePolicy: 'Fail',
      reinvocationPolicy: 'Never',
      mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression } }],
    },
  });
  const binding = (name: string) => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingAdmissionPolicyBinding',
    metadata: { name },
    spec: {
      policyName: name,
      matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } },
    },
  });
  const items = [
    policy(`${POLICY}-pods`, 'pods', pod),
    binding(`${POLICY}-pods`),
    policy(`${POLICY}-redis`, 'services', service, "object.metadata.name == 'ci-fixer-redis'"),
    binding(`${POLICY}-redis`),
  ];
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** Every pod created in `namespace` lands on the real node; ci-fixer-redis gets `redisIp`. */
export async function placeOnRealNode(kubeconfig: string, namespace: string, redisIp: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ci-fixer-guide-policy-'));
  try {
    const file = join(dir, 'policies.json');
    writeFileSync(file, placementPolicies(namespace, redisIp));
    await kubectl(kubeconfig, ['apply', '-f', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The API server picks policies up asynchronously: wait until a (dry-run) pod is placed.
  const [label] = Object.keys(REAL_NODE_PLACEMENT.nodeSelector);
  await waitFor(
    'the placement policy to apply',
    async () => {
      const pod = await kubectl(kubeconfig, [
        'run',
        'ci-fixer-guide-probe',
        '-n',
        namespace,
        '--image=probe',
        '--restart=Never',
        '--dry-run=server',
        '-o',
        'json',
      ]);
      const spec = (JSON.parse(pod) as { spec: { nodeSelector?: Record<string, string> } }).spec;
      return label !== undefined && spec.nodeSelector?.[label] !== undefined ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
}

export async function removePlacement(kubeconfig: string): Promise<void> {
  for (const kind of ['mutatingadmissionpolicybinding', 'mutatingadmissionpolicy'])
    await kubectl(kubeconfig, ['delete', kind, `${POLICY}-pods`, `${POLICY}-redis`, '--ignore-not-found']).catch(
      () => undefined,
    );
}

export interface Netns {
  name: string;
  close(): Promise<void>;
}

/**
 * A network namespace with only loopback, where the API server's address (127.0.0.1:<port> of
 * the kubeconfig) leads to the real one: socat listens there and relays over a Unix socket to a
 * socat in the host's namespace. kubectl there binds whatever port it likes.
 */
export async function netnsWithApiServer(kubeconfig: string): Promise<Netns> {
  const doc = parse(readFileSync(kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };
  const server = new URL(doc.clusters[0]?.cluster.server ?? '');
  if (server.hostname !== '127.0.0.1') throw new Error(`API server is not on loopback: ${server.href}`);
  const port = server.port;
  const name = `cifixer-guide-${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'ci-fixer-guide-netns-'));
  const sock = join(dir, 'api.sock');
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  const relays: ChildProcess[] = [
    spawn('socat', [`UNIX-LISTEN:${sock},fork`, `TCP:127.0.0.1:${port}`], { stdio: 'ignore' }),
  ];
  await waitFor('host relay socket', async () => (existsSync(sock) ? true : undefined), { timeoutMs: 10_000 });
  relays.push(
    spawn(
      'ip',
      ['netns', 'exec', name, 'socat', `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `UNIX-CONNECT:${sock}`],
      { stdio: 'ignore' },
    ),
  );
  await waitFor(
    'API server relay in the network namespace',
    async () => {
      await run('ip', ['netns', 'exec', name, 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
      return true;
    },
    { timeoutMs: 10_000 },
  );
  return {
    name,
    async close() {
      for (const r of relays) r.kill('SIGTERM');
      await run('ip', ['netns', 'del', name]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
