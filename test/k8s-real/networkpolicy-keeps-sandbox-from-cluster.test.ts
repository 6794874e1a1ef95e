// The chart's sandbox NetworkPolicy, enforced on the real node by kube-router's firewall: a
// sandbox created through the kubernetes driver cannot reach the API server (its ClusterIP or the
// node address), the chart's Redis Service or the chart's API Service, while a sandbox in a
// namespace without the policy reaches every one of them (the positive control: what blocks is
// the policy, not this machine's wiring). Redis and the API are stand-in servers on the real
// node behind the chart's own Service objects, selected by the chart's own pod labels.
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NetworkingV1Api, type V1NetworkPolicy, type V1Service } from '@kubernetes/client-node';
import { renderChart, type K8sObject } from '../support/chart-render.js';
import { k8sClients, useTestNamespace, waitFor } from '../support/k8s.js';
import { startProvider, useSandboxNamespace, type TestProvider } from '../support/k8s-sandbox.js';
import {
  classifyProbe,
  listenerPod,
  probeFromSandbox,
  REAL_NODE_PLACEMENT,
  startPod,
  type ProbeResult,
} from '../support/real-node.js';
import type { Sandbox } from '../../src/sandbox/types.js';

const HTTP_GET = 'GET /healthz HTTP/1.0\\r\\n\\r\\n';
const REDIS_PING = 'PING\\r\\n';
// Go's TLS server answers a plain-HTTP request with this: proof the API server itself answered.
const API_SERVER_ANSWER = /Client sent an HTTP request to an HTTPS server/;

interface Target {
  what: string;
  host: string;
  port: number;
  payload: string;
  answer: RegExp;
}

/** The host's Debian mirror (where the sandbox's packages come from), from its apt sources. */
function debianMirror(): URL {
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const m = /^(?:URIs:|deb)\s+(\S+)/m.exec(
      text
        .split('\n')
        .filter((l) => !/security/.test(l))
        .join('\n'),
    );
    if (m?.[1]) return new URL(m[1]);
  }
  throw new Error('no Debian mirror in the host apt sources');
}

function ipv4InCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base ?? '') / size);
}

describe('the chart sandbox NetworkPolicy on the real node', () => {
  const release = useTestNamespace('np-release');
  // The chart creates the dedicated namespace with Pod Security restricted; so does the test.
  const restricted = { 'pod-security.kubernetes.io/enforce': 'restricted' };
  const sandboxNs = useSandboxNamespace('np-sandbox', restricted);
  const controlNs = useSandboxNamespace('np-control', restricted);
  const targets: Target[] = [];
  let policy: K8sObject;
  let providers: TestProvider[] = [];
  let guarded: Sandbox;
  let control: Sandbox;

  beforeAll(async () => {
    const { core, kc } = k8sClients();
    const r = await renderChart(['--set', `sandbox.namespace.name=${sandboxNs.name}`], release.name);
    policy = r.get('NetworkPolicy', 'ci-fixer-sandbox');
    expect(policy.metadata.namespace).toBe(sandboxNs.name);
    const net = kc.makeApiClient(NetworkingV1Api);
    await net.createNamespacedNetworkPolicy({ namespace: sandboxNs.name, body: policy as V1NetworkPolicy });

    // The chart's Services, in front of stand-ins carrying the chart's pod labels and port names.
    const backends = [
      {
        deployment: 'ci-fixer-redis',
        service: 'ci-fixer-redis',
        mode: 'redis' as const,
        payload: REDIS_PING,
        answer: /^\+PONG/,
      },
      {
        deployment: 'ci-fixer-app',
        service: 'ci-fixer-app',
        mode: 'http' as const,
        payload: HTTP_GET,
        answer: /^HTTP\/1\.0 200 OK/,
      },
    ];
    for (const b of backends) {
      const svc = r.get('Service', b.service);
      const port = svc.spec.ports[0];
      const container = r.get('Deployment', b.deployment).spec.template.spec.containers[0];
      const containerPort = (container.ports as Array<{ name: string; containerPort: number }>).find(
        (p) => p.name === port.targetPort,
      );
      if (!containerPort) throw new Error(`${b.deployment} has no container port named ${String(port.targetPort)}`);
      const labels = r.get('Deployment', b.deployment).spec.template.metadata.labels as Record<string, string>;
      const podIp = await startPod(
        listenerPod(release.name, {
          name: b.deployment,
          labels,
          port: containerPort.containerPort,
          portName: containerPort.name,
          mode: b.mode,
        }),
      );
      const created = await core.createNamespacedService({
        namespace: release.name,
        body: { ...svc, metadata: { ...svc.metadata, namespace: release.name } } as V1Service,
      });
      targets.push({
        what: `Service ${b.service} (ClusterIP)`,
        host: created.spec?.clusterIP ?? '',
        port: port.port,
        payload: b.payload,
        answer: b.answer,
      });
      targets.push({
        what: `${b.deployment} pod IP`,
        host: podIp,
        port: containerPort.containerPort,
        payload: b.payload,
        answer: b.answer,
      });
    }
    const kubernetes = await core.readNamespacedService({ name: 'kubernetes', namespace: 'default' });
    targets.push({
      what: 'API server ClusterIP',
      host: kubernetes.spec?.clusterIP ?? '',
      port: 443,
      payload: HTTP_GET,
      answer: API_SERVER_ANSWER,
    });
    const node = await core.readNode({ name: inject('realNode') });
    const nodeIp = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '';
    targets.push({
      what: 'API server on the node IP',
      host: nodeIp,
      port: 6443,
      payload: HTTP_GET,
      answer: API_SERVER_ANSWER,
    });

    const options = { image: inject('realNodeImage'), ...REAL_NODE_PLACEMENT, readyTimeoutSeconds: 120 };
    providers = [await startProvider(sandboxNs.name, options), await startProvider(controlNs.name, options)];
    const create = (p: TestProvider) => p.provider.create({ taskId: randomUUID(), timeoutSeconds: 600 });
    [guarded, control] = await Promise.all([create(providers[0]!), create(providers[1]!)]);
  });

  afterAll(async () => {
    await Promise.all([guarded?.dispose(), control?.dispose()]);
    await Promise.all(providers.map((p) => p.provider.stop()));
  });

  it('lets a sandbox without the policy reach the API server, Redis and the API (the positive control)', async () => {
    for (const t of targets) {
      const res = await probeFromSandbox(control, t.host, t.port, t.payload);
      expect(
        { what: t.what, exitCode: res.exitCode, answered: t.answer.test(res.stdout) },
        `${t.what}: ${res.stderr}`,
      ).toEqual({
        what: t.what,
        exitCode: 0,
        answered: true,
      });
    }
  });

  it('refuses or times out every connection from the sandbox under the policy', async () => {
    // kube-router programs a new pod's chains after the pod starts: a bounded wait for the
    // first target to be blocked, then every target is asserted once.
    const first = targets[0]!;
    await waitFor(
      'kube-router to enforce the policy on the sandbox pod',
      async () =>
        classifyProbe(await probeFromSandbox(guarded, first.host, first.port, first.payload)).blocked
          ? true
          : undefined,
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    const results: Array<{ what: string; blocked: boolean; how: string }> = [];
    for (const t of targets) {
      const res: ProbeResult = await probeFromSandbox(guarded, t.host, t.port, t.payload);
      results.push({ what: t.what, ...classifyProbe(res) });
    }
    expect(results).toHaveLength(6);
    expect(results.filter((x) => !x.blocked)).toEqual([]);
  });

  it('still lets the sandbox reach the package mirror by address (the egress the policy allows)', async () => {
    const mirror = debianMirror();
    const { address } = await lookup(mirror.hostname, { family: 4 });
    const get = `GET ${mirror.pathname} HTTP/1.0\\r\\nHost: ${mirror.hostname}\\r\\n\\r\\n`;
    const res = await probeFromSandbox(guarded, address, 80, get);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^HTTP\/1\.[01] \d{3} /);
  });

  it('answers DNS only from cluster DNS: the node resolver, a private address, is denied under the policy', async () => {
    const resolver = /^nameserver\s+(\S+)/m.exec(readFileSync('/etc/resolv.conf', 'utf8'))?.[1] ?? '';
    const egress = policy.spec.egress as Array<{ to: Array<{ ipBlock?: { cidr: string; except?: string[] } }> }>;
    const denied = egress.flatMap((e) => e.to.flatMap((t) => t.ipBlock?.except ?? [])).filter((c) => !c.includes(':'));
    const resolverDenied = denied.some((c) => ipv4InCidr(resolver, c));
    const host = debianMirror().hostname;
    const resolves = async (s: Sandbox) =>
      (await s.exec(`timeout 20 getent hosts ${host}`, { timeoutMs: 30_000 })).exitCode === 0;
    expect(await resolves(control)).toBe(true);
    // The pods use the node's resolv.conf (no cluster DNS runs in the test cluster); where that
    // resolver sits in a denied range, names resolve only through kube-system's kube-dns.
    expect(await resolves(guarded)).toBe(!resolverDenied);
  });
});
