// Pod tracking is one shared watch per provider: no sandbox polls for its pod, so the requests a
// task costs do not grow with how long its pod takes to start; the in-flight view of a freshly
// started worker comes from the initial list; and the watch keeps delivering across reconnects.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KubeRequestInfo } from '../../src/sandbox/kubernetes/kube-client.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { k8sClients, uniqueName, waitFor } from '../support/k8s.js';
import { startProvider, useSandboxNamespace } from '../support/k8s-sandbox.js';

function perTask(requests: KubeRequestInfo[], taskId: string): KubeRequestInfo[] {
  return requests.filter((r) => r.taskId === taskId);
}

function describeRequest(r: KubeRequestInfo): string {
  if (r.kind === 'exec') return 'exec';
  return `${r.method} ${r.path.replace(/\/namespaces\/[^/]+/, '/namespaces/NS').replace(/\/jobs\/[^/]+$/, '/jobs/NAME')}`;
}

describe('kubernetes sandbox pod tracking', () => {
  const ns = useSandboxNamespace('sbx-track');

  it('serves many waiting sandboxes from one watch: a task costs create, init, its execs and delete', async () => {
    const t = await startProvider(ns.name);
    try {
      const ids = Array.from({ length: 5 }, () => randomUUID());
      const sandboxes = await Promise.all(ids.map((taskId) => t.provider.create({ taskId, timeoutSeconds: 60 })));
      await Promise.all(sandboxes.map((s) => s.exec('echo one; echo two', { timeoutMs: 30_000 })));
      await Promise.all(sandboxes.map((s) => s.dispose()));

      for (const taskId of ids) {
        expect(perTask(t.requests, taskId).map(describeRequest)).toEqual([
          'POST /apis/batch/v1/namespaces/NS/jobs',
          'exec', // init: the per-task workdir
          'exec', // the command
          'DELETE /apis/batch/v1/namespaces/NS/jobs/NAME',
        ]);
      }
      // Shared work, independent of the number of sandboxes: one pod list and one watch at start.
      const shared = t.requests.filter((r) => r.taskId === undefined);
      expect(shared.filter((r) => r.kind === 'watch' && r.path.endsWith('/pods'))).toHaveLength(1);
      expect(shared.filter((r) => r.kind === 'api' && r.path.endsWith('/pods'))).toHaveLength(1);
    } finally {
      await t.provider.stop();
    }
  });

  it('costs the same requests when pods take long to become ready', async () => {
    // More CPU than any node has: Pending (Unschedulable) until a bigger node joins.
    const t = await startProvider(ns.name, {
      resources: {
        cpuRequest: '40',
        cpuLimit: '40',
        memoryRequest: '256Mi',
        memoryLimit: '1Gi',
        ephemeralStorage: '1Gi',
      },
      unschedulableGraceSeconds: 600,
    });
    const k = k8sClients();
    const node = uniqueName('kwok-big');
    try {
      const ids = [randomUUID(), randomUUID()];
      const creating = Promise.all(ids.map((taskId) => t.provider.create({ taskId, timeoutSeconds: 60 })));
      await waitFor('both sandbox pods to be unschedulable', async () => {
        const pods = await k.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=ci-fixer-sandbox' });
        const stuck = pods.items.filter((p) =>
          p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'),
        );
        return stuck.length >= 2 ? true : undefined;
      });
      // Several resync periods pass while they wait.
      await new Promise((r) => setTimeout(r, 12_000));
      await k.core.createNode({
        body: {
          metadata: {
            name: node,
            annotations: { 'kwok.x-k8s.io/node': 'fake' },
            labels: { type: 'kwok', 'kubernetes.io/hostname': node },
          },
          status: {
            allocatable: { cpu: '100', memory: '64Gi', pods: '110', 'ephemeral-storage': '200Gi' },
            capacity: { cpu: '100', memory: '64Gi', pods: '110', 'ephemeral-storage': '200Gi' },
          },
        },
      });
      const sandboxes: Sandbox[] = await creating;
      await Promise.all(sandboxes.map((s) => s.dispose()));
      for (const taskId of ids) {
        expect(perTask(t.requests, taskId).map(describeRequest)).toEqual([
          'POST /apis/batch/v1/namespaces/NS/jobs',
          'exec',
          'DELETE /apis/batch/v1/namespaces/NS/jobs/NAME',
        ]);
      }
    } finally {
      await t.provider.stop();
      await k.core.deleteNode({ name: node }).catch(() => undefined);
    }
  });

  it('seeds the in-flight view of a newly started provider from the initial list', async () => {
    const a = await startProvider(ns.name);
    try {
      const sandboxes = await Promise.all(
        [randomUUID(), randomUUID()].map((taskId) => a.provider.create({ taskId, timeoutSeconds: 60 })),
      );
      const b = await startProvider(ns.name);
      try {
        // Right after start, before any watch event for these pods could have been needed.
        expect(b.provider.inFlight()).toBe(2);
        expect(b.logs.find((e) => e.msg === 'pod_tracker_started')).toMatchObject({ inFlight: 2 });
      } finally {
        await b.provider.stop();
      }
      await Promise.all(sandboxes.map((s) => s.dispose()));
      await waitFor('the in-flight count to drop', async () => (a.provider.inFlight() === 0 ? true : undefined));
    } finally {
      await a.provider.stop();
    }
  });

  it('keeps delivering pod events after the watch reconnects', async () => {
    const t = await startProvider(ns.name);
    try {
      // client-node ends a watch after 30 s without data and reconnects from the last version.
      await waitFor(
        'the pod watch to reconnect',
        async () => (t.requests.filter((r) => r.kind === 'watch').length >= 2 ? true : undefined),
        {
          timeoutMs: 90_000,
          intervalMs: 1000,
        },
      );
      const sandbox = await t.provider.create({ taskId: randomUUID(), timeoutSeconds: 60 });
      expect((await sandbox.exec('true', { timeoutMs: 30_000 })).exitCode).toBe(0);
      await sandbox.dispose();
    } finally {
      await t.provider.stop();
    }
  });
});
