import { describe, expect, it } from 'vitest';
import { execInPod, k8sClients, runningJobPod, testJob, uniqueName, useTestNamespace } from '../support/k8s.js';

describe('exec into a Job pod over the API server websocket path', () => {
  const ns = useTestNamespace('exec');
  const k = k8sClients();

  async function startPod(): Promise<{ namespace: string; pod: string; container: string }> {
    const name = uniqueName('exec');
    await k.batch.createNamespacedJob({ namespace: ns.name, body: testJob(name) });
    const pod = await runningJobPod(k, ns.name, name);
    return { namespace: ns.name, pod: pod.metadata?.name ?? '', container: 'main' };
  }

  it('negotiates v5.channel.k8s.io, separates stdout from stderr and reads exit code 3 from the status channel', async () => {
    const target = await startPod();

    const result = await execInPod(k.kc, target, ['sh', '-c', 'echo out; echo err >&2; exit 3']);

    expect(result.protocol).toBe('v5.channel.k8s.io');
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
    expect(result.status?.reason).toBe('NonZeroExitCode');
    expect(result.exitCode).toBe(3);
  });

  it('reports success with exit code 0 for a command that succeeds', async () => {
    const target = await startPod();

    const result = await execInPod(k.kc, target, ['sh', '-c', 'echo fine']);

    expect(result.status?.status).toBe('Success');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('fine\n');
    expect(result.stderr).toBe('');
  });

  it('runs each pod in its own working directory, so files of one sandbox are invisible to another', async () => {
    const [a, b] = await Promise.all([startPod(), startPod()]);

    const write = await execInPod(k.kc, a, ['sh', '-c', 'echo mine > marker && pwd']);
    const look = await execInPod(k.kc, b, ['sh', '-c', 'pwd; test -e marker']);

    expect(write.exitCode).toBe(0);
    expect(write.stdout.trim().endsWith(`/${a.namespace}/${a.pod}`)).toBe(true);
    expect(look.stdout.trim().endsWith(`/${b.namespace}/${b.pod}`)).toBe(true);
    expect(look.exitCode).toBe(1);
  });
});
