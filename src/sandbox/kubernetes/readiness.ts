// One sandbox waiting for its pod, driven by the shared pod watch (pod-tracker.ts): every change of
// the Job's pods re-evaluates it, local timers cover the graces and the overall bound, and no API
// request is made unless the Job has no pod at all for a while (then its events say why).
import type { V1Pod } from '@kubernetes/client-node';
import { CancelledError, InfrastructureError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { assessPod, decideReadiness, type Graces, type ProblemClock, type SandboxFailureCode } from './pod-state.js';

/** A sandbox pod that cannot become (or stay) usable. */
export class SandboxPodError extends InfrastructureError {
  constructor(
    code: SandboxFailureCode | 'sandbox_ready_timeout',
    readonly detail: string,
    readonly podName: string | undefined,
  ) {
    super(code, detail);
  }
}

export interface WaitForReadyOptions {
  jobUid: string;
  timeoutMs: number;
  graces: Graces;
  signal?: AbortSignal;
  /**
   * Called when the Job still has no pod after `noPodCheckMs`, then periodically: explains why
   * (quota, admission) with an error to fail with, or undefined to keep waiting.
   */
  checkMissingPod?: () => Promise<Error | undefined>;
  noPodCheckMs?: number;
}

/** What the waiter needs from the tracker's view of the pods. */
export interface PodView {
  podsOf(jobUid: string): V1Pod[];
  /** A pod of this Job was seen since the wait began (so "no pod" now means deleted). */
  everHadPod(jobUid: string): boolean;
  subscribe(jobUid: string, listener: () => void): () => void;
  stopped(): boolean;
  recheckMissingMs: number;
  logger: Logger;
}

const DEFAULT_NO_POD_CHECK_MS = 10_000;

function timeoutState(pod: V1Pod | undefined): string {
  if (pod === undefined) return 'no pod was created';
  return assessPod(pod).kind === 'pending'
    ? `pod ${pod.metadata?.name} still ${pod.status?.phase ?? 'Pending'}`
    : `pod ${pod.metadata?.name} not ready`;
}

export function waitForReadyPod(view: PodView, wait: WaitForReadyOptions): Promise<V1Pod> {
  return new Promise<V1Pod>((resolve, reject) => {
    const clock: ProblemClock = {};
    const timers = new Set<NodeJS.Timeout>();
    let recheck: NodeJS.Timeout | undefined;
    let checkingMissing = false;
    let done = false;
    const later = (fn: () => void, ms: number): NodeJS.Timeout => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
      return timer;
    };
    const finish = (result: V1Pod | Error): void => {
      if (done) return;
      done = true;
      unsubscribe();
      for (const timer of timers) clearTimeout(timer);
      wait.signal?.removeEventListener('abort', onAbort);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const evaluate = (): void => {
      if (done) return;
      if (view.stopped()) {
        finish(
          new InfrastructureError('sandbox_provider_stopped', 'the sandbox provider stopped while waiting for a pod'),
        );
        return;
      }
      const current = view.podsOf(wait.jobUid);
      const pod = current.find((p) => !p.metadata?.deletionTimestamp) ?? current[0];
      if (pod === undefined) {
        if (view.everHadPod(wait.jobUid))
          finish(new SandboxPodError('sandbox_pod_deleted', 'the sandbox pod was deleted', undefined));
        return;
      }
      const decision = decideReadiness(assessPod(pod), clock, Date.now(), wait.graces);
      if (decision.action === 'ready') {
        finish(pod);
        return;
      }
      if (decision.action === 'fail') {
        finish(new SandboxPodError(decision.code, decision.detail, pod.metadata?.name));
        return;
      }
      if (recheck !== undefined) clearTimeout(recheck);
      if (decision.recheckInMs !== undefined) recheck = later(evaluate, decision.recheckInMs + 10);
    };
    const checkMissing = (): void => {
      if (done || wait.checkMissingPod === undefined) return;
      if (!checkingMissing && view.podsOf(wait.jobUid).length === 0) {
        checkingMissing = true;
        wait
          .checkMissingPod()
          .then((err) => err !== undefined && finish(err))
          .catch((err: unknown) => view.logger.warn({ err }, 'sandbox_job_check_failed'))
          .finally(() => (checkingMissing = false));
      }
      later(checkMissing, view.recheckMissingMs);
    };
    const onAbort = (): void => finish(new CancelledError('cancelled while waiting for the sandbox pod'));

    const unsubscribe = view.subscribe(wait.jobUid, evaluate);
    if (wait.signal?.aborted) return onAbort();
    wait.signal?.addEventListener('abort', onAbort, { once: true });
    later(() => {
      const pod = view.podsOf(wait.jobUid)[0];
      const seconds = Math.round(wait.timeoutMs / 1000);
      finish(
        new SandboxPodError(
          'sandbox_ready_timeout',
          `sandbox not ready within ${seconds} s: ${timeoutState(pod)}`,
          pod?.metadata?.name,
        ),
      );
    }, wait.timeoutMs);
    later(checkMissing, wait.noPodCheckMs ?? DEFAULT_NO_POD_CHECK_MS);
    evaluate();
  });
}
