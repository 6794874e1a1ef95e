// Least privilege of an installed chart, checked against the real authorizer and admission:
// the verify script passes (and fails with the right ❌ once the Role is widened), the seed's
// `kubectl auth can-i` checks hold, a sandbox Job from the worker's own Job builder is admitted
// in the sandbox namespace when created with ci-fixer-app's token, and a privileged pod is not.
// The grants are also enough: the kubernetes driver, its pod informer and its reaper do their
// whole job with ci-fixer-app's token (not as cluster admin).
import { randomUUID } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxJob } from '../../src/sandbox/kubernetes/job-spec.js';
import { SANDBOX_SERVICE_ACCOUNT } from '../../src/sandbox/kubernetes/labels.js';
import {
  apiError,
  jobPods,
  k8sClients,
  loadKubeConfig,
  TEST_IMAGE,
  uniqueName,
  useTestNamespace,
  waitFor,
} from '../support/k8s.js';
import {
  CHART,
  RELEASE,
  helm,
  kubectl,
  runVerifyScript,
  serviceAccountToken,
  verifyRows,
} from '../support/helm-release.js';
import { jobGone, sandboxJobs, startProvider } from '../support/k8s-sandbox.js';

describe('an installed chart grants least privilege', () => {
  const ns = useTestNamespace('deploy-rbac');
  const k = k8sClients();
  const sbx = () => `${ns.name}-sandbox`;
  const app = () => `system:serviceaccount:${ns.name}:ci-fixer-app`;

  beforeAll(async () => {
    await helm(['install', RELEASE, CHART, '-n', ns.name, '--wait', '--timeout', '150s']);
  });
  afterAll(async () => {
    if (ns.name) await helm(['uninstall', RELEASE, '-n', ns.name, '--wait', '--timeout', '150s'], false);
  });

  it('passes scripts/verify-k8s-deployment.ts, which finds the sandbox namespace itself', async () => {
    const result = await runVerifyScript(['--namespace', ns.name]);

    expect(result.stdout).toContain(`namespace ${ns.name}, sandbox namespace ${sbx()}`);
    expect(result.stdout).not.toContain('❌');
    const rows = verifyRows(result.stdout);
    for (const check of [
      `ServiceAccount ${ns.name}/ci-fixer-app exists`,
      `ServiceAccount ${sbx()}/ci-fixer-sandbox exists`,
      `Role ${sbx()}/ci-fixer-sandbox-manager exists`,
      `RoleBinding ${sbx()}/ci-fixer-sandbox-binding exists`,
      `ci-fixer-app CAN create jobs in ${sbx()}`,
      `ci-fixer-app CAN create pods/exec in ${sbx()}`,
      `ci-fixer-app CAN get pods/log in ${sbx()}`,
      'ci-fixer-app CANNOT delete nodes',
      `ci-fixer-app CANNOT list secrets in ${sbx()}`,
      'ci-fixer-app CANNOT do anything cluster-wide (* * *)',
      `ci-fixer-sandbox CANNOT do anything in ${sbx()} (* * *)`,
    ]) {
      expect(rows.get(check), check).toEqual(expect.objectContaining({ ok: true }));
    }
    expect(result.code).toBe(0);
  });

  it('answers the seed can-i checks: create jobs yes, delete nodes no', async () => {
    const jobs = await kubectl(['auth', 'can-i', 'create', 'jobs', '-n', sbx(), `--as=${app()}`]);
    expect(jobs.stdout.trim()).toBe('yes');
    expect(jobs.code).toBe(0);
    const nodes = await kubectl(['auth', 'can-i', 'delete', 'nodes', `--as=${app()}`]);
    expect(nodes.stdout.trim()).toBe('no');
    expect(nodes.code).toBe(1);
    const sandboxJobs = await kubectl([
      'auth',
      'can-i',
      'create',
      'jobs',
      '-n',
      sbx(),
      `--as=system:serviceaccount:${sbx()}:ci-fixer-sandbox`,
    ]);
    expect(sandboxJobs.stdout.trim()).toBe('no');
  });

  it('admits a sandbox Job from the worker Job builder, created with ci-fixer-app credentials', async () => {
    const token = await serviceAccountToken(k, ns.name, 'ci-fixer-app');
    const asApp = k8sClients(loadKubeConfig({ name: 'ci-fixer-app', token }));
    const cm = (await k.core.readNamespacedConfigMap({ name: 'ci-fixer-config', namespace: ns.name })).data ?? {};
    const taskId = uniqueName('task');
    const job = buildSandboxJob({
      taskId,
      namespace: cm.SANDBOX_NAMESPACE!,
      instance: cm.SANDBOX_INSTANCE!,
      image: TEST_IMAGE,
      resources: {
        cpuRequest: cm.SANDBOX_CPU_REQUEST!,
        cpuLimit: cm.SANDBOX_CPU_LIMIT!,
        memoryRequest: cm.SANDBOX_MEMORY_REQUEST!,
        memoryLimit: cm.SANDBOX_MEMORY_LIMIT!,
        ephemeralStorage: cm.SANDBOX_EPHEMERAL_STORAGE_LIMIT!,
      },
      timeoutSeconds: 120,
      readyTimeoutSeconds: 60,
    });
    expect(job.metadata?.namespace).toBe(sbx());

    const created = await asApp.batch.createNamespacedJob({ namespace: sbx(), body: job });
    // Admission (Pod Security restricted, LimitRange, ResourceQuota) happens when the job
    // controller creates the pod: a pod that exists got through every check. (Whether it then
    // schedules depends on the nodes' capacity, which is not what this test is about.)
    const jobName = created.metadata!.name!;
    const pod = await waitFor(`a pod of Job ${sbx()}/${jobName}`, async () => (await jobPods(k, sbx(), jobName))[0]);
    const events = await k.core.listNamespacedEvent({
      namespace: sbx(),
      fieldSelector: `involvedObject.name=${jobName}`,
    });
    expect(events.items.filter((e) => e.reason === 'FailedCreate').map((e) => e.message)).toEqual([]);
    const quota = await k.core.readNamespacedResourceQuota({ name: 'ci-fixer-sandbox', namespace: sbx() });
    expect(quota.status?.used).toMatchObject({ pods: '1', 'count/jobs.batch': '1' });

    expect(pod.spec?.serviceAccountName).toBe(SANDBOX_SERVICE_ACCOUNT);
    expect(pod.spec?.automountServiceAccountToken).toBe(false);
    expect(pod.spec?.volumes?.some((v) => v.projected)).toBe(false);
    await asApp.batch.deleteNamespacedJob({ name: jobName, namespace: sbx(), propagationPolicy: 'Background' });
    await waitFor(`Job ${jobName} deleted`, async () =>
      (await k.batch.listNamespacedJob({ namespace: sbx() })).items.some((j) => j.metadata?.name === jobName)
        ? undefined
        : true,
    );
  });

  it('is enough for the kubernetes driver, its informer and its reaper, run with ci-fixer-app credentials', async () => {
    const token = await serviceAccountToken(k, ns.name, 'ci-fixer-app');
    const cm = (await k.core.readNamespacedConfigMap({ name: 'ci-fixer-config', namespace: ns.name })).data ?? {};
    const live = randomUUID();
    const orphan = randomUUID();
    const asApp = () => ({
      kubeConfig: loadKubeConfig({ name: 'ci-fixer-app', token }),
      isTaskActive: async (taskId: string) => taskId !== orphan,
    });
    const { provider, logs } = await startProvider(cm.SANDBOX_NAMESPACE!, {}, asApp());
    // The orphan's Job comes from another worker process (a provider never reaps its own tasks).
    const other = await startProvider(cm.SANDBOX_NAMESPACE!, {}, asApp());
    try {
      const sandbox = await provider.create({ taskId: live, timeoutSeconds: 120 });
      const lines: string[] = [];
      const run = await sandbox.exec('echo rbac-is-enough', {
        timeoutMs: 30_000,
        onOutput: (_stream, line) => void lines.push(line),
      });
      expect(run.exitCode).toBe(0);
      expect(lines).toEqual(['rbac-is-enough']);
      await sandbox.writeFile('note.txt', 'written with the app token');
      expect((await sandbox.readFile('note.txt')).toString()).toBe('written with the app token');

      // The reaper lists the Jobs and deletes the one whose task no worker holds.
      const orphaned = await other.provider.create({ taskId: orphan, timeoutSeconds: 120 });
      const reaped = await provider.reap();
      expect(reaped.deleted.map((d) => d.taskId)).toEqual([orphan]);
      await orphaned.dispose().catch(() => undefined);

      await sandbox.dispose();
      await jobGone(
        cm.SANDBOX_NAMESPACE!,
        (await sandboxJobs(cm.SANDBOX_NAMESPACE!)).find((j) => j.taskId === live)?.name ?? 'none',
      );
      // Nothing the driver did on its own (the informer's list and watch included) was refused.
      // Only the text a refusal would be in: a number field (readyMs: 403) is no refusal.
      const refused = (r: Record<string, unknown>) =>
        /forbidden|\b403\b/i.test(
          JSON.stringify({
            msg: r.msg,
            err: r.err,
            error: r.error,
            status: r.status,
            statusCode: r.statusCode,
            code: r.code,
          }),
        );
      expect([...logs, ...other.logs].filter(refused)).toEqual([]);
    } finally {
      await other.provider.stop();
      await provider.stop();
    }
  });

  it('rejects a privileged pod in the sandbox namespace', async () => {
    const pod: V1Pod = {
      metadata: { name: uniqueName('privileged') },
      spec: { containers: [{ name: 'main', image: TEST_IMAGE, securityContext: { privileged: true } }] },
    };

    const refused = await apiError(() => k.core.createNamespacedPod({ namespace: sbx(), body: pod }));

    expect(refused.code).toBe(403);
    expect(refused.message).toContain('violates PodSecurity "restricted:latest"');
    expect(refused.message).toContain('privileged');
  });

  it('fails verification with the right ❌ once the Role is over-privileged', async () => {
    // Done last in this file: it widens the live Role.
    await k.rbac.patchNamespacedRole({
      name: 'ci-fixer-sandbox-manager',
      namespace: sbx(),
      body: [
        { op: 'add', path: '/rules/-', value: { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] } },
      ],
    });

    const result = await runVerifyScript(['--namespace', ns.name, '--sandbox-namespace', sbx()]);

    expect(result.code).toBe(1);
    const rows = verifyRows(result.stdout);
    expect(rows.get('ci-fixer-sandbox-manager grants nothing beyond least privilege')).toEqual({
      ok: false,
      detail: 'extra: get secrets; list secrets',
    });
    expect(rows.get(`ci-fixer-app CANNOT list secrets in ${sbx()}`)).toEqual(
      expect.objectContaining({
        ok: false,
        detail: expect.stringMatching(/^allowed: RBAC: allowed by RoleBinding "ci-fixer-sandbox-binding/),
      }),
    );
    // Nothing unrelated turns red.
    expect(rows.get('ci-fixer-app CANNOT delete nodes')?.ok).toBe(true);
    expect(rows.get(`ci-fixer-app CAN create jobs in ${sbx()}`)?.ok).toBe(true);
    expect([...rows.values()].filter((r) => !r.ok)).toHaveLength(2);
  });
});
