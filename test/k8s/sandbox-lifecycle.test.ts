// The sandbox Job's life on a real API server: the seed's smoke flow, the hardened spec as the
// server stored it, replacement of a previous attempt's Job, teardown on cancel, and the smoke
// script the deployment guide runs.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { jobNameForTask, SANDBOX_SELECTOR } from '../../src/sandbox/kubernetes/labels.js';
import { apiError, k8sClients, waitFor } from '../support/k8s.js';
import { jobGone, sandboxJobs, startProvider, useProvider, useSandboxNamespace } from '../support/k8s-sandbox.js';

const run = promisify(execFile);

describe('kubernetes sandbox lifecycle', () => {
  const ns = useSandboxNamespace('sbx-life');
  const p = useProvider(ns);
  const k = k8sClients();

  it('runs the smoke flow (init, command, teardown) and leaves no Job behind', async () => {
    const taskId = randomUUID();
    const sandbox = await p.current.provider.create({ taskId, timeoutSeconds: 120 });
    const jobs = await sandboxJobs(ns.name);
    expect(jobs).toEqual([{ name: jobNameForTask(taskId), uid: expect.any(String), taskId }]);

    const lines: string[] = [];
    const result = await sandbox.exec('echo "Hello from K8s sandbox!"', {
      timeoutMs: 30_000,
      onOutput: (_s, line) => lines.push(line),
    });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(lines).toEqual(['Hello from K8s sandbox!']);
    // Commands run in the task's own working directory.
    const pwd: string[] = [];
    await sandbox.exec('pwd -P', { timeoutMs: 30_000, onOutput: (_s, line) => pwd.push(line) });
    expect(pwd).toEqual([sandbox.workdir]);
    expect(sandbox.workdir.endsWith(`/${jobNameForTask(taskId)}`)).toBe(true);

    await sandbox.dispose();
    const gone = await apiError(() => k.batch.readNamespacedJob({ name: jobNameForTask(taskId), namespace: ns.name }));
    expect(gone.code).toBe(404);
    // Background propagation: the garbage collector removes the pod too.
    await waitFor('the sandbox pod to be deleted', async () => {
      const pods = await k.core.listNamespacedPod({
        namespace: ns.name,
        labelSelector: `batch.kubernetes.io/job-name=${jobNameForTask(taskId)}`,
      });
      return pods.items.length === 0 ? true : undefined;
    });
    await expect(sandbox.exec('true', { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'sandbox_disposed' });
  });

  it('stores the hardened Job spec as built', async () => {
    const taskId = randomUUID();
    const sandbox = await p.current.provider.create({ taskId, timeoutSeconds: 100 });
    try {
      const job = await k.batch.readNamespacedJob({ name: jobNameForTask(taskId), namespace: ns.name });
      expect(job.spec?.backoffLimit).toBe(0);
      expect(job.spec?.ttlSecondsAfterFinished).toBe(300);
      expect(job.spec?.activeDeadlineSeconds).toBeGreaterThan(100);
      const pods = await k.core.listNamespacedPod({
        namespace: ns.name,
        labelSelector: `${SANDBOX_SELECTOR},batch.kubernetes.io/job-name=${job.metadata?.name}`,
      });
      const pod = pods.items[0]!;
      expect(pod.spec?.serviceAccountName).toBe('ci-fixer-sandbox');
      expect(pod.spec?.automountServiceAccountToken).toBe(false);
      // No token volume was injected by the ServiceAccount admission plugin.
      expect(pod.spec?.volumes?.map((v) => v.name)).toEqual(['workspace']);
      expect(pod.spec?.containers[0]?.securityContext?.allowPrivilegeEscalation).toBe(false);
    } finally {
      await sandbox.dispose();
    }
  });

  it('replaces the Job of a previous attempt of the same task, so one Job runs, never two', async () => {
    const taskId = randomUUID();
    const first = await p.current.provider.create({ taskId, timeoutSeconds: 60 });
    const [before] = await sandboxJobs(ns.name).then((jobs) => jobs.filter((j) => j.taskId === taskId));
    // A retry (here: without disposing the first, as after a crashed worker) takes the same name.
    const second = await p.current.provider.create({ taskId, timeoutSeconds: 60 });
    try {
      const after = (await sandboxJobs(ns.name)).filter((j) => j.taskId === taskId);
      expect(after).toHaveLength(1);
      expect(after[0]?.uid).not.toBe(before?.uid);
      expect(p.current.logs.some((e) => e.msg === 'sandbox_job_replaced' && e.uid === before?.uid)).toBe(true);
      const out: string[] = [];
      expect((await second.exec('echo second', { timeoutMs: 30_000, onOutput: (_s, l) => out.push(l) })).exitCode).toBe(
        0,
      );
      expect(out).toEqual(['second']);
      // Disposing the stale handle must not delete the new Job (its uid precondition fails).
      await first.dispose();
      expect((await sandboxJobs(ns.name)).filter((j) => j.taskId === taskId).map((j) => j.uid)).toEqual([
        after[0]?.uid,
      ]);
    } finally {
      await second.dispose();
    }
  });

  it('tears the Job down when the task is cancelled while the pod starts', async () => {
    // Unschedulable pods (far beyond the nodes' CPU) wait forever, so the cancel lands mid-wait.
    const stuck = await startProvider(ns.name, {
      resources: {
        cpuRequest: '500',
        cpuLimit: '500',
        memoryRequest: '256Mi',
        memoryLimit: '1Gi',
        ephemeralStorage: '1Gi',
      },
      unschedulableGraceSeconds: 600,
    });
    try {
      const taskId = randomUUID();
      const controller = new AbortController();
      const creating = stuck.provider.create({ taskId, timeoutSeconds: 60, signal: controller.signal });
      await waitFor('the sandbox Job to exist', async () =>
        (await sandboxJobs(ns.name)).some((j) => j.taskId === taskId) ? true : undefined,
      );
      controller.abort();
      await expect(creating).rejects.toBeInstanceOf(CancelledError);
      await jobGone(ns.name, jobNameForTask(taskId));
    } finally {
      await stuck.provider.stop();
    }
  });

  it('passes the seed smoke script (npx tsx scripts/test-k8s-sandbox.ts)', async () => {
    const { stdout } = await run('npx', ['tsx', 'scripts/test-k8s-sandbox.ts'], {
      env: { ...process.env, KUBECONFIG: inject('kubeconfig'), SANDBOX_NAMESPACE: ns.name, LOG_LEVEL: 'silent' },
      timeout: 120_000,
    });
    expect(stdout).toContain('✅ Job created successfully');
    expect(stdout).toContain('✅ Command executed: Hello from K8s sandbox!');
    expect(stdout).toContain('✅ Job deleted successfully');
    expect(stdout).not.toContain('❌');
  });

  it('fails the smoke script with a ❌ line and a non-zero exit when the sandbox ServiceAccount is missing', async () => {
    const err = await run('npx', ['tsx', 'scripts/test-k8s-sandbox.ts'], {
      env: {
        ...process.env,
        KUBECONFIG: inject('kubeconfig'),
        SANDBOX_NAMESPACE: 'default-missing-sa-ns',
        LOG_LEVEL: 'silent',
      },
      timeout: 120_000,
    }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('❌ ServiceAccount default-missing-sa-ns/ci-fixer-sandbox is missing');
  });
});
