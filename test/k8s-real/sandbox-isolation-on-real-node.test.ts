// The kubernetes sandbox driver on a real node: its Job's pod is a real container, so what the
// Job spec promises (non-root, no capabilities, no API token, a memory limit) is checked from
// inside it, through the driver's own exec, and an allocation past the limit is OOM-killed.
import { describe, expect, inject, it } from 'vitest';
import { k8sClients } from '../support/k8s.js';
import { useProvider, useSandbox, useSandboxNamespace } from '../support/k8s-sandbox.js';
import type { Sandbox } from '../../src/sandbox/types.js';
import { SANDBOX_UID } from '../../src/sandbox/kubernetes/job-spec.js';

const MEMORY_LIMIT = '64Mi';
const MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

async function sh(sandbox: Sandbox, command: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const result = await sandbox.exec(command, {
    timeoutMs: 60_000,
    onOutput: (s, line) => (s === 'stdout' ? out : err).push(line),
  });
  return { exitCode: result.exitCode, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('sandbox on the real node', () => {
  const ns = useSandboxNamespace('real-sandbox');
  const p = useProvider(ns, {
    image: inject('realNodeImage'),
    nodeSelector: { 'ci-fixer.dev/real-node': 'true' },
    tolerations: [{ key: 'ci-fixer.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
    resources: {
      cpuRequest: '50m',
      cpuLimit: '500m',
      memoryRequest: '32Mi',
      memoryLimit: MEMORY_LIMIT,
      ephemeralStorage: '1Gi',
    },
    readyTimeoutSeconds: 120,
  });
  const s = useSandbox(p, 600);

  it('lands its Job pod on the real node, as a started container', async () => {
    const pods = await k8sClients().core.listNamespacedPod({ namespace: ns.name });
    expect(pods.items).toHaveLength(1);
    const pod = pods.items[0];
    expect(pod?.spec?.nodeName).toBe(inject('realNode'));
    expect(pod?.status?.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\//);
  });

  it('runs commands as the configured non-root uid', async () => {
    expect(await sh(s.current, 'id -u; id -g')).toEqual({
      exitCode: 0,
      stdout: `${SANDBOX_UID}\n${SANDBOX_UID}`,
      stderr: '',
    });
  });

  it('has no service-account token mounted', async () => {
    const r = await sh(
      s.current,
      'ls -la /var/run/secrets/kubernetes.io 2>&1; find / -xdev -path /proc -prune -o -name token -path "*serviceaccount*" -print 2>/dev/null; exit 0',
    );
    expect(r.stdout).toMatch(/No such file or directory/);
    expect(r.stdout).not.toMatch(/serviceaccount\/token/);
  });

  it('holds no capabilities', async () => {
    const r = await sh(s.current, "grep -E '^Cap(Eff|Prm|Amb):' /proc/self/status");
    expect(r.stdout.split('\n')).toEqual([
      'CapPrm:\t0000000000000000',
      'CapEff:\t0000000000000000',
      'CapAmb:\t0000000000000000',
    ]);
  });

  it('runs in a cgroup whose memory limit is the configured limit', async () => {
    const r = await sh(
      s.current,
      'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
    );
    expect(r).toEqual({ exitCode: 0, stdout: String(MEMORY_LIMIT_BYTES), stderr: '' });
  });

  it('reports a command that allocates past the limit as killed for memory, and keeps the sandbox usable', async () => {
    // perl is in Debian's minbase (perl-base); 256 MiB of string is four times the limit.
    const result = await s.current.exec(`perl -e '$x = "x" x (256 * 1024 * 1024); print length($x), "\\n"'`, {
      timeoutMs: 60_000,
    });
    expect(result.exitCode).toBe(137);
    expect(result.timedOut).toBe(false);
    expect(result.outOfMemory).toEqual({
      limit: MEMORY_LIMIT,
      message: `the command was killed: out of memory (limit ${MEMORY_LIMIT})`,
    });
    expect(await sh(s.current, 'echo still here')).toMatchObject({ exitCode: 0, stdout: 'still here' });
  });

  it('does not call an ordinary SIGKILL an out-of-memory kill', async () => {
    const result = await s.current.exec('kill -KILL $$', { timeoutMs: 30_000 });
    expect(result.exitCode).toBe(137);
    expect(result.outOfMemory).toBeUndefined();
  });
});
