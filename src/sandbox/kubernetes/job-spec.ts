// The sandbox Job, as a pure function of the task and the configured slice. Everything that makes
// the sandbox safe to hand an untrusted repository is decided here, where a unit test sees it.
import type { V1Job } from '@kubernetes/client-node';
import type { SandboxToleration } from '../../config.js';
import {
  ANNOTATION_TASK_ID,
  jobNameForTask,
  proofJobNameForTask,
  SANDBOX_CONTAINER,
  SANDBOX_SERVICE_ACCOUNT,
  sandboxLabels,
} from './labels.js';

/** Fixed non-root ids; the default image's own user (`pn`) has uid and gid 1000. */
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
export const WORKSPACE_PATH = '/workspace';
/** The finished Job (and its pod) linger this long for `kubectl describe`, then the TTL controller removes them. */
export const TTL_SECONDS_AFTER_FINISHED = 300;
/** Beyond the task's own budget: pod start-up and teardown happen inside the Job's deadline too. */
export const DEADLINE_MARGIN_SECONDS = 60;
const TERMINATION_GRACE_SECONDS = 5;

export interface SandboxResources {
  cpuRequest: string;
  cpuLimit: string;
  memoryRequest: string;
  memoryLimit: string;
  ephemeralStorage: string;
}

export interface SandboxPlacement {
  nodeSelector: Record<string, string>;
  tolerations: SandboxToleration[];
}

export interface SandboxJobParams {
  taskId: string;
  /** A proof sandbox is a second Job of the task, under its own name (the work Job keeps running). */
  role?: 'work' | 'proof';
  namespace: string;
  /** SANDBOX_INSTANCE: the install the Job belongs to (LABEL_INSTANCE). */
  instance: string;
  image: string;
  resources: SandboxResources;
  /** Which nodes may run the pod (dedicated sandbox nodes); empty: any. */
  placement?: SandboxPlacement;
  /** The task's budget; the Job may live this long plus the ready wait and a margin. */
  timeoutSeconds: number;
  readyTimeoutSeconds: number;
}

export function activeDeadlineSeconds(timeoutSeconds: number, readyTimeoutSeconds: number): number {
  return Math.ceil(timeoutSeconds) + Math.ceil(readyTimeoutSeconds) + DEADLINE_MARGIN_SECONDS;
}

export function buildSandboxJob(params: SandboxJobParams): V1Job {
  const labels = sandboxLabels(params.taskId, params.instance);
  const deadline = activeDeadlineSeconds(params.timeoutSeconds, params.readyTimeoutSeconds);
  const r = params.resources;
  const dropAll = { drop: ['ALL'] };
  const seccomp = { type: 'RuntimeDefault' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: params.role === 'proof' ? proofJobNameForTask(params.taskId) : jobNameForTask(params.taskId),
      namespace: params.namespace,
      labels,
      // The task id only: no credentials, no repository URL (it may embed a user name).
      annotations: { [ANNOTATION_TASK_ID]: params.taskId },
    },
    spec: {
      // One pod, never a second: a sandbox that died is an infrastructure error the queue retries.
      backoffLimit: 0,
      activeDeadlineSeconds: deadline,
      ttlSecondsAfterFinished: TTL_SECONDS_AFTER_FINISHED,
      template: {
        metadata: { labels, annotations: { [ANNOTATION_TASK_ID]: params.taskId } },
        spec: {
          restartPolicy: 'Never',
          // The pod deadline mirrors the Job's, so a pod outlives neither the Job nor a lost controller.
          activeDeadlineSeconds: deadline,
          serviceAccountName: SANDBOX_SERVICE_ACCOUNT,
          // The sandbox runs untrusted code: no API credentials, no service discovery variables.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          ...placementSpec(params.placement),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: SANDBOX_UID,
            runAsGroup: SANDBOX_GID,
            fsGroup: SANDBOX_GID,
            seccompProfile: seccomp,
          },
          containers: [
            {
              name: SANDBOX_CONTAINER,
              image: params.image,
              imagePullPolicy: 'IfNotPresent',
              // PID 1 only keeps the pod alive for exec, and not past the deadline.
              command: ['sleep', String(deadline)],
              workingDir: WORKSPACE_PATH,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: SANDBOX_UID,
                runAsGroup: SANDBOX_GID,
                allowPrivilegeEscalation: false,
                privileged: false,
                capabilities: dropAll,
                seccompProfile: seccomp,
              },
              resources: {
                requests: { cpu: r.cpuRequest, memory: r.memoryRequest, 'ephemeral-storage': r.ephemeralStorage },
                limits: { cpu: r.cpuLimit, memory: r.memoryLimit, 'ephemeral-storage': r.ephemeralStorage },
              },
              volumeMounts: [{ name: 'workspace', mountPath: WORKSPACE_PATH }],
            },
          ],
          volumes: [{ name: 'workspace', emptyDir: { sizeLimit: r.ephemeralStorage } }],
        },
      },
    },
  };
}

function placementSpec(placement: SandboxPlacement | undefined): {
  nodeSelector?: Record<string, string>;
  tolerations?: SandboxToleration[];
} {
  if (placement === undefined) return {};
  return {
    ...(Object.keys(placement.nodeSelector).length > 0 ? { nodeSelector: { ...placement.nodeSelector } } : {}),
    ...(placement.tolerations.length > 0 ? { tolerations: placement.tolerations.map((t) => ({ ...t })) } : {}),
  };
}
