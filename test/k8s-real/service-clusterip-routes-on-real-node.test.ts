// kube-proxy (iptables mode) on the real node: a ClusterIP Service in front of a pod on the real
// node answers another pod through the Service IP, from that backend, and follows its endpoints
// when the backend is replaced. The answer must name the backend pod: on this machine kind a
// connection to an unrouted address's port 80 is answered by the VM's egress proxy, so "some
// HTTP answer" would prove nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { k8sClients, uniqueName, useTestNamespace, waitFor } from '../support/k8s.js';
import { clientPod, listenerPod, probeFromPod, startPod } from '../support/real-node.js';

const PORT = 8080;
const HTTP_GET = 'GET / HTTP/1.0\\r\\n\\r\\n';
const APP = 'web';

describe('a ClusterIP Service on the real node', () => {
  const ns = useTestNamespace('svc-real');
  const client = uniqueName('client');
  let clusterIp = '';

  const backend = (name: string) =>
    listenerPod(ns.name, { name, labels: { app: APP }, port: PORT, portName: 'http', mode: 'http' });
  const target = () => ({ namespace: ns.name, pod: client, container: 'client' });
  /** Probes the ClusterIP until the named backend answers (kube-proxy syncs asynchronously). */
  const answerFrom = (name: string) =>
    waitFor(
      `the ClusterIP to answer from ${name}`,
      async () => {
        const r = await probeFromPod(target(), clusterIp, 80, HTTP_GET);
        return r.stdout.includes(`served by ${name}`) ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );

  beforeAll(async () => {
    const { core } = k8sClients();
    await Promise.all([startPod(backend('backend-a')), startPod(clientPod(ns.name, client))]);
    const svc = await core.createNamespacedService({
      namespace: ns.name,
      body: {
        metadata: { name: APP },
        spec: { type: 'ClusterIP', selector: { app: APP }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
    });
    clusterIp = svc.spec?.clusterIP ?? '';
  });

  it('answers another pod through its ClusterIP, from the backend pod', async () => {
    const res = await answerFrom('backend-a');
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/^HTTP\/1\.0 200 OK/);
  });

  it('follows the endpoints: a replacement backend answers on the same ClusterIP', async () => {
    await k8sClients().core.deleteNamespacedPod({ namespace: ns.name, name: 'backend-a', gracePeriodSeconds: 0 });
    await startPod(backend('backend-b'));
    const res = await answerFrom('backend-b');
    expect(res.stdout).not.toContain('served by backend-a');
  });
});
