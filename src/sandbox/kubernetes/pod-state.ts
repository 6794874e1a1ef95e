// What a sandbox pod's status means for the task waiting on it. Pure: the tracker feeds it pods
// from the informer and the clock; tests feed it hand-written statuses.
import type { V1Pod } from '@kubernetes/client-node';
import { SANDBOX_CONTAINER } from './labels.js';
import { memoryLimitOf, oomMessage, podOomKilled } from './oom.js';

export type SandboxFailureCode =
  | 'sandbox_image_pull_failed'
  | 'sandbox_unschedulable'
  | 'sandbox_container_config_error'
  | 'sandbox_pod_deleted'
  | 'sandbox_evicted'
  | 'sandbox_deadline_exceeded'
  | 'sandbox_pod_failed'
  | 'sandbox_oom_killed'
  | 'sandbox_pod_completed';

export type PodAssessment =
  | { kind: 'ready' }
  | { kind: 'pending'; detail: string }
  /** Fails once it has lasted the image-pull grace: a registry hiccup may clear by itself. */
  | { kind: 'pull-error'; detail: string }
  /** Fails once it has lasted the unschedulable grace: capacity may free up or scale out. */
  | { kind: 'unschedulable'; detail: string }
  | { kind: 'fatal'; code: SandboxFailureCode; detail: string };

const PULL_ERRORS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
]);
const CONFIG_ERRORS = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

function describe(reason: string | undefined, message: string | undefined): string {
  return [reason, message].filter((part) => part !== undefined && part !== '').join(': ');
}

export function assessPod(pod: V1Pod): PodAssessment {
  const status = pod.status ?? {};
  if (pod.metadata?.deletionTimestamp)
    return { kind: 'fatal', code: 'sandbox_pod_deleted', detail: 'the sandbox pod is being deleted' };
  // Before the phase: an OOM-killed container fails the pod, and "Failed" would hide why.
  if (podOomKilled(pod)) return { kind: 'fatal', code: 'sandbox_oom_killed', detail: oomMessage(memoryLimitOf(pod)) };
  if (status.phase === 'Failed') {
    if (status.reason === 'Evicted')
      return { kind: 'fatal', code: 'sandbox_evicted', detail: describe('Evicted', status.message) };
    if (status.reason === 'DeadlineExceeded')
      return { kind: 'fatal', code: 'sandbox_deadline_exceeded', detail: describe('DeadlineExceeded', status.message) };
    return { kind: 'fatal', code: 'sandbox_pod_failed', detail: describe(status.reason ?? 'Failed', status.message) };
  }
  if (status.phase === 'Succeeded')
    return { kind: 'fatal', code: 'sandbox_pod_completed', detail: 'the sandbox container exited' };

  const container = status.containerStatuses?.find((c) => c.name === SANDBOX_CONTAINER);
  if (status.phase === 'Running' && container?.ready === true) return { kind: 'ready' };

  const waiting = container?.state?.waiting;
  if (waiting?.reason !== undefined && CONFIG_ERRORS.has(waiting.reason)) {
    return { kind: 'fatal', code: 'sandbox_container_config_error', detail: describe(waiting.reason, waiting.message) };
  }
  if (waiting?.reason !== undefined && PULL_ERRORS.has(waiting.reason))
    return { kind: 'pull-error', detail: describe(waiting.reason, waiting.message) };
  const terminated = container?.state?.terminated;
  if (terminated !== undefined) {
    return {
      kind: 'fatal',
      code: 'sandbox_pod_failed',
      detail: describe(terminated.reason ?? 'Terminated', terminated.message ?? `exit code ${terminated.exitCode}`),
    };
  }

  const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { kind: 'unschedulable', detail: describe('Unschedulable', scheduled.message) };
  }
  const phase = status.phase ?? 'Pending';
  return { kind: 'pending', detail: waiting?.reason ? `${phase} (${waiting.reason})` : phase };
}

export interface Graces {
  imagePullMs: number;
  unschedulableMs: number;
}

/** When each grace-bound problem was first seen for this pod (epoch ms). */
export interface ProblemClock {
  pullErrorSince?: number;
  unschedulableSince?: number;
}

export type ReadinessDecision =
  | { action: 'ready' }
  | { action: 'fail'; code: SandboxFailureCode; detail: string }
  /** Keep waiting; `recheckInMs` is set when a grace runs out with no further event. */
  | { action: 'wait'; detail: string; recheckInMs?: number };

function afterGrace(leftMs: number, code: SandboxFailureCode, detail: string): ReadinessDecision {
  return leftMs <= 0 ? { action: 'fail', code, detail } : { action: 'wait', detail, recheckInMs: leftMs };
}

/**
 * Folds an assessment into the decision, updating `clock` (a problem that cleared starts over).
 * The clock is the waiter's own state, so a grace counts from when this worker first saw it.
 */
export function decideReadiness(
  assessment: PodAssessment,
  clock: ProblemClock,
  now: number,
  graces: Graces,
): ReadinessDecision {
  if (assessment.kind !== 'pull-error') delete clock.pullErrorSince;
  if (assessment.kind !== 'unschedulable') delete clock.unschedulableSince;
  switch (assessment.kind) {
    case 'ready':
      return { action: 'ready' };
    case 'fatal':
      return { action: 'fail', code: assessment.code, detail: assessment.detail };
    case 'pending':
      return { action: 'wait', detail: assessment.detail };
    case 'pull-error':
      clock.pullErrorSince ??= now;
      return afterGrace(
        clock.pullErrorSince + graces.imagePullMs - now,
        'sandbox_image_pull_failed',
        assessment.detail,
      );
    case 'unschedulable':
      clock.unschedulableSince ??= now;
      return afterGrace(
        clock.unschedulableSince + graces.unschedulableMs - now,
        'sandbox_unschedulable',
        assessment.detail,
      );
  }
}

/** A pod that can no longer run commands (used after readiness, to fail running execs fast). */
export function isPodGone(pod: V1Pod | undefined): boolean {
  if (pod === undefined) return true;
  const a = assessPod(pod);
  return a.kind === 'fatal';
}
