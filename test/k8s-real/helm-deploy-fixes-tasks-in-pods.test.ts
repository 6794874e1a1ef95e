// Whole tasks through the chart on the real node: submitted through `kubectl port-forward
// deployment/ci-fixer-app`, cloned over https inside a real sandbox container from a Git server
// on the node address (a private one, as an internal Git server is), and fixed there. The three
// product features that make a private Git server work are what this exercises:
// sandbox.networkPolicy.extraEgress (the chart's policy denies private ranges), git.caBundle →
// GIT_CA_FILE (the server's self-signed CA, added to the sandbox image's bundle), and a repository
// that vendors prettier (no cluster DNS here, so nothing can be downloaded in the pod). A worker
// pod force-deleted mid-task loses the task to the replacement pod, which finishes it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { git } from '../../scripts/lib/git-fixtures.js';
import type { TaskRecord } from '../../src/task.js';
import { CHART, RELEASE, helm, kubectl } from '../support/helm-release.js';
import { startGitHttpsServer, type GitHttpsServer } from '../support/git-https-server.js';
import { k8sClients, useTestNamespace, waitFor } from '../support/k8s.js';
import { sandboxJobs } from '../support/k8s-sandbox.js';
import { portForward, randomServiceIp, realNodeValuesFile, RESTRICTED } from '../support/real-deploy.js';
import { taskClient, TERMINAL, type TaskClient } from '../support/task-client.js';
import { createVendoredPrettierRepo } from '../support/vendored-prettier-repo.js';

const run = promisify(execFile);
const API_TOKEN = 'real-node-task-token';
const NODE_IP = '10.89.255.1';
// The pod-to-host guard lets pods reach these node ports only (real-node/network.sh).
const TEST_SERVER_PORTS = [18440, 18449] as const;
const REAPER_INTERVAL_SECONDS = 2;
const WORKER_TIMING = {
  REAPER_INTERVAL_SECONDS: String(REAPER_INTERVAL_SECONDS),
  // A dead worker's lock expires after 5 s (a live one renews it every 2.5 s, with room for a busy
  // machine); the replacement's stalled check runs every 3 s.
  WORKER_LOCK_MS: '5000',
  WORKER_STALLED_INTERVAL_MS: '3000',
};

async function gitServerOnNodeAddress(root: string): Promise<GitHttpsServer> {
  let last: unknown;
  for (let port = TEST_SERVER_PORTS[0]; port <= TEST_SERVER_PORTS[1]; port++) {
    try {
      return await startGitHttpsServer(root, () => true, { host: NODE_IP, port });
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`no free port in ${TEST_SERVER_PORTS.join('-')} on ${NODE_IP}: ${String(last)}`);
}

/** Issue 14 saw a container restart once right after an install: what its previous run said. */
async function reportRestarts(namespace: string): Promise<void> {
  for (const pod of (await k8sClients().core.listNamespacedPod({ namespace })).items) {
    for (const c of pod.status?.containerStatuses ?? []) {
      if (c.restartCount === 0) continue;
      const previous = await kubectl([
        '-n',
        namespace,
        'logs',
        pod.metadata?.name ?? '',
        '-c',
        c.name,
        '--previous',
        '--tail=15',
      ]);
      console.log(
        `${pod.metadata?.name}/${c.name} restarted ${c.restartCount}x (${JSON.stringify(c.lastState?.terminated)}):\n${previous.stdout}${previous.stderr}`,
      );
    }
  }
}

describe('whole tasks through the chart on the real node', () => {
  const ns = useTestNamespace('real-tasks', RESTRICTED);
  const k = k8sClients();
  const sandboxNs = () => `${ns.name}-sandbox`;
  let server: GitHttpsServer;
  let repoUrl: string;
  let work: string;
  let forward: Awaited<ReturnType<typeof portForward>> | undefined;
  let client: TaskClient;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'ci-fixer-real-tasks-'));
    await createVendoredPrettierRepo(path.join(work, 'served', 'app.git'));
    server = await gitServerOnNodeAddress(path.join(work, 'served'));
    repoUrl = `${server.baseUrl}app.git`;
    const port = Number(new URL(server.baseUrl).port);
    const values = await realNodeValuesFile({
      apiToken: API_TOKEN,
      redisIp: randomServiceIp(),
      extra: {
        git: { caBundle: await readFile(server.caFile, 'utf8') },
        // Exactly the Git server: its address, its port.
        sandbox: {
          networkPolicy: {
            extraEgress: [{ to: [{ ipBlock: { cidr: `${NODE_IP}/32` } }], ports: [{ port, protocol: 'TCP' }] }],
          },
        },
        config: { extraEnv: WORKER_TIMING },
      },
    });
    await helm(['install', RELEASE, CHART, '-n', ns.name, '-f', values, '--wait', '--timeout', '160s']);
    await reportRestarts(ns.name);
    forward = await portForward(ns.name);
    client = taskClient(`http://127.0.0.1:${forward.port}`, API_TOKEN);
  });

  afterAll(async () => {
    forward?.child.kill('SIGTERM');
    if (ns.name) await helm(['uninstall', RELEASE, '-n', ns.name, '--wait', '--timeout', '120s'], false);
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Nodes of the task's sandbox pods, looked up while it runs (its Job is gone once it ends). */
  async function runWatchingSandboxPods(
    id: string,
    timeoutMs: number,
  ): Promise<{ final: TaskRecord; nodes: Set<string> }> {
    const nodes = new Set<string>();
    let done = false;
    const watch = (async () => {
      while (!done) {
        const pods = await k.core.listNamespacedPod({ namespace: sandboxNs() }).catch(() => ({ items: [] }));
        for (const p of pods.items)
          if (p.metadata?.annotations?.['ci-fixer.dev/task-id'] === id && p.spec?.nodeName) nodes.add(p.spec.nodeName);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      return { final: await client.waitFor(id, TERMINAL, timeoutMs), nodes };
    } finally {
      done = true;
      await watch;
    }
  }

  it('fixes a prettier task in a sandbox container on the real node, cloned over https', async () => {
    const { id } = await client.submit({ repo: { url: repoUrl, ref: 'main' }, command: 'npx prettier --check .' });
    const { final, nodes } = await runWatchingSandboxPods(id, 200_000);
    expect(final, JSON.stringify(final.error)).toMatchObject({
      state: 'succeeded',
      result: { outcome: 'fixed', fixer: 'prettier' },
    });
    expect([...nodes]).toEqual([inject('realNode')]);
    const log = (await client.readAllLogs(id, 200)).lines.map((l) => l.text);
    expect(log).toContain('sandbox ready (kubernetes)');
    // Through the CA bundle the worker assembled, not a disabled check.
    expect(log.some((l) => l.includes("combine the sandbox's CA bundle with GIT_CA_FILE"))).toBe(true);
    expect(server.requests.some((r) => r.query === 'service=git-upload-pack')).toBe(true);

    const patch = final.result?.patch ?? '';
    expect(patch).toContain('src/greet.js');
    expect(patch).not.toContain('BEGIN CERTIFICATE');
    const check = path.join(work, 'check');
    await git(work, ['clone', '--quiet', path.join(work, 'served', 'app.git'), check]);
    await writeFile(path.join(work, 'fix.patch'), patch);
    await git(check, ['apply', path.join(work, 'fix.patch')]);
    // The repository's own vendored prettier, as CI would run it.
    await expect(
      run('node_modules/.bin/prettier', ['--check', '.'], { cwd: check, timeout: 60_000 }),
    ).resolves.toBeDefined();
  }, 240_000);

  it('hands a task whose worker pod was force-deleted to the replacement pod, and leaves no sandbox Job behind', async () => {
    const { id } = await client.submit({
      repo: { url: repoUrl, ref: 'main' },
      command: 'echo long-step-started && sleep 20 && npx prettier --check .',
    });
    // Caught mid-command: reproducing, its sandbox pod Running, the command's first line logged.
    await client.waitFor(id, (t) => t.phase === 'reproducing' || TERMINAL(t), 120_000);
    await waitFor(
      'the task command to have started',
      async () => {
        const { lines } = await client.logs(id, 0, 1000);
        return lines.some((l) => l.stream === 'stdout' && l.text === 'long-step-started') ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const first = await client.get(id);
    expect(first).toMatchObject({ state: 'running', phase: 'reproducing', attempts: 1 });
    const orphans = (await sandboxJobs(sandboxNs())).filter((j) => j.taskId === id);
    expect(orphans).toHaveLength(1);
    const pods = (await k.core.listNamespacedPod({ namespace: sandboxNs() })).items.filter(
      (p) => p.metadata?.annotations?.['ci-fixer.dev/task-id'] === id,
    );
    expect(pods.map((p) => p.status?.phase)).toEqual(['Running']);

    const [worker] = (
      await k.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app.kubernetes.io/component=worker' })
    ).items;
    const killed = worker?.metadata?.name ?? '';
    const del = await kubectl(['-n', ns.name, 'delete', 'pod', killed, '--grace-period=0', '--force']);
    expect(del.code, del.stderr).toBe(0);

    const final = await client.waitFor(id, TERMINAL, 200_000);
    expect(final, JSON.stringify(final.error)).toMatchObject({
      state: 'succeeded',
      attempts: 2,
      result: { outcome: 'fixed', fixer: 'prettier' },
    });
    // Two sandboxes: the killed pod's, and the one the task finished in.
    const log = (await client.readAllLogs(id, 200)).lines.map((l) => l.text);
    expect(log.filter((l) => l === 'sandbox ready (kubernetes)')).toHaveLength(2);
    // Another pod finished it: the Deployment's replacement, whose own log names the task.
    const now = (
      await k.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app.kubernetes.io/component=worker' })
    ).items.map((p) => p.metadata?.name ?? '');
    expect(now).not.toContain(killed);
    const replacementLogs = await Promise.all(
      now.map(async (name) => (await kubectl(['-n', ns.name, 'logs', name, '--tail=-1'])).stdout),
    );
    expect(replacementLogs.some((text) => text.includes(id))).toBe(true);

    // One reaper interval after the end (plus the API's deletion), no Job of the task is left.
    await new Promise((r) => setTimeout(r, REAPER_INTERVAL_SECONDS * 1000));
    await waitFor(
      'no sandbox Job of the task to remain',
      async () => ((await sandboxJobs(sandboxNs())).some((j) => j.taskId === id) ? undefined : true),
      {
        timeoutMs: 30_000,
      },
    );
    expect((await sandboxJobs(sandboxNs())).filter((j) => orphans.some((o) => o.uid === j.uid))).toEqual([]);
  }, 300_000);
});
