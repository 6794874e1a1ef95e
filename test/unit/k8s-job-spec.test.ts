import { describe, expect, it } from 'vitest';
import {
  activeDeadlineSeconds,
  buildSandboxJob,
  DEADLINE_MARGIN_SECONDS,
  SANDBOX_UID,
  type SandboxJobParams,
} from '../../src/sandbox/kubernetes/job-spec.js';
import {
  ANNOTATION_TASK_ID,
  APP_VALUE,
  instanceSelector,
  jobNameForTask,
  LABEL_APP,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_TASK_ID,
  MANAGED_BY_VALUE,
  SANDBOX_SELECTOR,
  taskIdLabelValue,
} from '../../src/sandbox/kubernetes/labels.js';

const params: SandboxJobParams = {
  taskId: '0b6c2f0e-5d7a-4a8e-9d61-2f1f6f0c8a11',
  namespace: 'sandboxes',
  instance: 'ci-fixer-blue',
  image: 'nikolaik/python-nodejs:python3.11-nodejs20-bullseye',
  resources: {
    cpuRequest: '100m',
    cpuLimit: '500m',
    memoryRequest: '256Mi',
    memoryLimit: '1Gi',
    ephemeralStorage: '4Gi',
  },
  timeoutSeconds: 900,
  readyTimeoutSeconds: 300,
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe('sandbox Job names and labels', () => {
  it('derives the Job name from the task id alone, so a retry finds the same name', () => {
    expect(jobNameForTask(params.taskId)).toBe(`ci-fixer-sandbox-${params.taskId}`);
    expect(buildSandboxJob(params).metadata?.name).toBe(
      buildSandboxJob({ ...params, timeoutSeconds: 5 }).metadata?.name,
    );
  });

  it("gives a task's proof sandbox a Job of its own, beside the work sandbox's, for the same task", () => {
    const proof = buildSandboxJob({ ...params, role: 'proof' });
    expect(proof.metadata?.name).toBe(`ci-fixer-sandbox-${params.taskId}-p`);
    expect(proof.metadata?.name).not.toBe(buildSandboxJob(params).metadata?.name);
    expect(proof.metadata?.annotations?.['ci-fixer.dev/task-id']).toBe(params.taskId);
    const long = buildSandboxJob({ ...params, taskId: 'x'.repeat(60), role: 'proof' }).metadata?.name ?? '';
    expect(long.length).toBeLessThanOrEqual(57);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(long).not.toBe(buildSandboxJob({ ...params, taskId: 'x'.repeat(60) }).metadata?.name);
  });

  it('makes a valid, distinct DNS name of any task id, short enough for pod name suffixes', () => {
    const ids = ['UPPER-case', 'with spaces/and:colons', 'x'.repeat(200), 'x'.repeat(201), '---', 'émoji🙂', 'a'];
    const names = ids.map(jobNameForTask);
    for (const name of names) {
      expect(name).toMatch(DNS_LABEL);
      expect(name.length).toBeLessThanOrEqual(57);
    }
    expect(new Set(names).size).toBe(ids.length);
    // Ids that sanitise to the same stem still differ.
    expect(jobNameForTask('a_b')).not.toBe(jobNameForTask('a.b'));
  });

  it('puts a valid task id label on any id and keeps the exact id in an annotation', () => {
    for (const id of [params.taskId, 'with spaces', 'y'.repeat(100), '_leading']) {
      expect(taskIdLabelValue(id)).toMatch(LABEL_VALUE);
      expect(taskIdLabelValue(id).length).toBeLessThanOrEqual(63);
      const job = buildSandboxJob({ ...params, taskId: id });
      expect(job.metadata?.annotations?.[ANNOTATION_TASK_ID]).toBe(id);
    }
    expect(taskIdLabelValue(params.taskId)).toBe(params.taskId);
  });

  it('labels Job and pod with the constants the watch and the reaper select on, and its install', () => {
    const job = buildSandboxJob(params);
    for (const labels of [job.metadata?.labels, job.spec?.template.metadata?.labels]) {
      expect(labels).toEqual({
        [LABEL_APP]: APP_VALUE,
        [LABEL_MANAGED_BY]: MANAGED_BY_VALUE,
        [LABEL_INSTANCE]: 'ci-fixer-blue',
        [LABEL_TASK_ID]: params.taskId,
      });
    }
    expect(SANDBOX_SELECTOR).toBe('app=ci-fixer-sandbox,app.kubernetes.io/managed-by=ci-fixer');
    expect(LABEL_INSTANCE).toBe('ci-fixer.dev/instance');
  });

  it("selects one install's objects only: its own instance label on top of the shared ones", () => {
    expect(instanceSelector('ci-fixer-blue')).toBe(
      'app=ci-fixer-sandbox,app.kubernetes.io/managed-by=ci-fixer,ci-fixer.dev/instance=ci-fixer-blue',
    );
    const selects = (selector: string, labels: Record<string, string> | undefined) =>
      selector.split(',').every((term) => {
        const [key, value] = term.split('=');
        return labels?.[key!] === value;
      });
    const blue = buildSandboxJob(params).spec?.template.metadata?.labels;
    const green = buildSandboxJob({ ...params, instance: 'ci-fixer-green' }).spec?.template.metadata?.labels;
    expect([
      selects(instanceSelector('ci-fixer-blue'), blue),
      selects(instanceSelector('ci-fixer-blue'), green),
    ]).toEqual([true, false]);
    expect([selects(SANDBOX_SELECTOR, blue), selects(SANDBOX_SELECTOR, green)]).toEqual([true, true]);
  });
});

describe('sandbox Job spec', () => {
  const job = buildSandboxJob(params);
  const pod = job.spec!.template.spec!;
  const container = pod.containers[0]!;

  it('runs one pod once, bounded by a deadline and cleaned up by the TTL controller', () => {
    expect(job.spec?.backoffLimit).toBe(0);
    expect(pod.restartPolicy).toBe('Never');
    expect(job.spec?.ttlSecondsAfterFinished).toBe(300);
    const deadline = 900 + 300 + DEADLINE_MARGIN_SECONDS;
    expect(activeDeadlineSeconds(900, 300)).toBe(deadline);
    expect(job.spec?.activeDeadlineSeconds).toBe(deadline);
    expect(pod.activeDeadlineSeconds).toBe(deadline);
    // The container itself keeps the pod alive only until then.
    expect(container.command).toEqual(['sleep', String(deadline)]);
  });

  it('gives the pod no API credentials', () => {
    expect(pod.serviceAccountName).toBe('ci-fixer-sandbox');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
  });

  it('meets Pod Security "restricted" on pod and container', () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: SANDBOX_UID,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(SANDBOX_UID).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: SANDBOX_UID,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext?.capabilities?.add).toBeUndefined();
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    expect(pod.volumes?.every((v) => v.hostPath === undefined)).toBe(true);
  });

  it('bounds CPU, memory and disk, with the workspace an emptyDir of limited size', () => {
    expect(container.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '4Gi' },
      limits: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '4Gi' },
    });
    expect(pod.volumes).toEqual([{ name: 'workspace', emptyDir: { sizeLimit: '4Gi' } }]);
    expect(container.volumeMounts).toEqual([{ name: 'workspace', mountPath: '/workspace' }]);
    expect(container.workingDir).toBe('/workspace');
  });

  it('uses the configured image and namespace and carries no environment or secrets', () => {
    expect(container.image).toBe(params.image);
    expect(job.metadata?.namespace).toBe('sandboxes');
    expect(container.env).toBeUndefined();
    expect(container.envFrom).toBeUndefined();
    expect(Object.keys(job.metadata?.annotations ?? {})).toEqual([ANNOTATION_TASK_ID]);
    // No secret volume, secret reference or projected token anywhere in the object.
    expect(JSON.stringify(job)).not.toMatch(/secretKeyRef|secretRef|"secret":|"projected":|password/i);
  });
});

describe('sandbox Job placement', () => {
  it('adds no nodeSelector or tolerations unless configured', () => {
    const spec = buildSandboxJob({ ...params, placement: { nodeSelector: {}, tolerations: [] } }).spec?.template.spec;
    expect(spec).not.toHaveProperty('nodeSelector');
    expect(spec).not.toHaveProperty('tolerations');
    expect(buildSandboxJob(params).spec?.template.spec).not.toHaveProperty('nodeSelector');
  });

  it('pins the pod to the configured nodes and tolerates their taints', () => {
    const spec = buildSandboxJob({
      ...params,
      placement: {
        nodeSelector: { 'ci-fixer.dev/real-node': 'true' },
        tolerations: [{ key: 'ci-fixer.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
      },
    }).spec?.template.spec;
    expect(spec?.nodeSelector).toEqual({ 'ci-fixer.dev/real-node': 'true' });
    expect(spec?.tolerations).toEqual([
      { key: 'ci-fixer.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
    ]);
  });
});
