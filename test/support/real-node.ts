// Helpers for the real-node tier (test/k8s-real): pods placed on the real node, small TCP
// servers built from the debootstrap base image (perl-base is in minbase), and a bounded TCP
// probe run inside a container with bash's /dev/tcp, so no client tool has to be installed.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { inject } from 'vitest';
import type { SandboxToleration } from '../../src/config.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { execInPod, k8sClients, waitFor } from './k8s.js';

export const REAL_NODE_LABEL = 'ci-fixer.dev/real-node';
/** nodeSelector + toleration that put a pod on the real node (and only there). */
export const REAL_NODE_PLACEMENT: { nodeSelector: Record<string, string>; tolerations: SandboxToleration[] } = {
  nodeSelector: { [REAL_NODE_LABEL]: 'true' },
  tolerations: [{ key: REAL_NODE_LABEL, operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
};

const RESTRICTED = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * A one-connection-at-a-time server: `redis` answers `+PONG` to a PING line, `http` answers 200
 * with the pod's name. A client that sends nothing is dropped after 5 s, so a probe that only
 * connects (kubelet's tcpSocket readiness) cannot wedge it.
 */
const SERVER = String.raw`
use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalPort => $ENV{PORT}, Listen => 16, ReuseAddr => 1) or die "listen: $!";
$| = 1; print "listening on $ENV{PORT}\n";
while (my $c = $s->accept) {
  eval {
    local $SIG{ALRM} = sub { die "idle\n" }; alarm 5;
    my $line = <$c>;
    if ($ENV{MODE} eq "redis") { print $c "+PONG\r\n" if defined $line && $line =~ /^PING/i }
    else { print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nserved by $ENV{HOSTNAME}\n" }
    alarm 0;
  };
  close $c;
}`;

export interface ListenerSpec {
  name: string;
  labels: Record<string, string>;
  port: number;
  /** The container port's name, for Services whose targetPort names it. */
  portName: string;
  mode: 'redis' | 'http';
}

const SMALL = { limits: { cpu: '100m', memory: '32Mi' }, requests: { cpu: '10m', memory: '16Mi' } };

/** A one-container pod of the base image on the real node, restricted and without API access. */
function realNodePod(namespace: string, name: string, labels: Record<string, string>, container: V1Container): V1Pod {
  return {
    metadata: { name, namespace, labels },
    spec: {
      ...REAL_NODE_PLACEMENT,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 1,
      containers: [{ image: inject('realNodeImage'), securityContext: RESTRICTED, resources: SMALL, ...container }],
    },
  };
}

export function listenerPod(namespace: string, spec: ListenerSpec): V1Pod {
  return realNodePod(namespace, spec.name, spec.labels, {
    name: 'server',
    command: ['perl', '-e', SERVER],
    env: [
      { name: 'PORT', value: String(spec.port) },
      { name: 'MODE', value: spec.mode },
    ],
    ports: [{ name: spec.portName, containerPort: spec.port, protocol: 'TCP' }],
    readinessProbe: { tcpSocket: { port: spec.port }, periodSeconds: 1 },
  });
}

/** A pod that only sleeps, to run probes from (exec). */
export function clientPod(namespace: string, name: string): V1Pod {
  return realNodePod(namespace, name, {}, { name: 'client', command: ['sleep', '900'] });
}

/** Creates the pod and waits (bounded) until it is Ready on the real node; returns its IP. */
export async function startPod(pod: V1Pod, timeoutMs = 120_000): Promise<string> {
  const { core } = k8sClients();
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  await core.createNamespacedPod({ namespace, body: pod });
  return waitFor(
    `pod ${namespace}/${name} Ready on the real node`,
    async () => {
      const p = await core.readNamespacedPod({ namespace, name });
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      return ready && p.status?.podIP ? p.status.podIP : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

export interface ProbeResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Bound of one connection attempt; a policy that drops instead of rejecting shows as exit 124. */
export const CONNECT_TIMEOUT_S = 5;

/**
 * Shell command: connect to host:port, send `payload`, print what comes back (3 s at most).
 * Exit 0 means a connection was made; `Connection refused` / `No route to host` (REJECT) or
 * exit 124 (DROP: no answer within the bound) mean it was not.
 */
export function tcpProbeCommand(host: string, port: number, payload = ''): string {
  const script = 'exec 3<>"/dev/tcp/$0/$1" || exit 1; printf "$2" >&3; timeout 3 head -c 300 <&3; exit 0';
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `timeout ${CONNECT_TIMEOUT_S} bash -c ${q(script)} ${q(host)} ${String(port)} ${q(payload)}`;
}

export async function probeFromSandbox(
  sandbox: Sandbox,
  host: string,
  port: number,
  payload = '',
): Promise<ProbeResult> {
  const out: string[] = [];
  const err: string[] = [];
  const r = await sandbox.exec(tcpProbeCommand(host, port, payload), {
    timeoutMs: 30_000,
    onOutput: (stream, line) => (stream === 'stdout' ? out : err).push(line),
  });
  return { exitCode: r.exitCode, stdout: out.join('\n'), stderr: err.join('\n') };
}

export async function probeFromPod(
  target: { namespace: string; pod: string; container: string },
  host: string,
  port: number,
  payload = '',
): Promise<ProbeResult> {
  const r = await execInPod(k8sClients().kc, target, ['sh', '-c', tcpProbeCommand(host, port, payload)], 30_000);
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** What a refused or unanswered connection looks like; anything else (a connection) fails. */
export function classifyProbe(r: ProbeResult): { blocked: boolean; how: string } {
  if (r.exitCode === 124) return { blocked: true, how: 'timed out' };
  if (r.exitCode !== 0 && /Connection refused|No route to host|Network is unreachable/.test(r.stderr)) {
    return { blocked: true, how: /refused/.test(r.stderr) ? 'refused' : 'unreachable' };
  }
  return {
    blocked: false,
    how: `exit ${r.exitCode}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`,
  };
}
