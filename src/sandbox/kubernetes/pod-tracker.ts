// One watch per worker process over every sandbox pod (the label selector), feeding all sandboxes
// that wait for their pod: no per-sandbox polling, so the API load does not grow with start-up
// time. The library's ListWatch re-lists on 410 Gone and reconnects after its inactivity timeout;
// on any other error it stops, so this restarts it with backoff. A periodic re-list while
// someone waits or runs corrects the view if the watch ever missed a change.
import { ListWatch, Watch, type CoreV1Api, type KubeConfig, type V1Pod, type V1PodList } from '@kubernetes/client-node';
import { InfrastructureError } from '../../errors.js';
import { apiMessage } from './api-errors.js';
import type { Logger } from '../../logger.js';
import { instanceSelector } from './labels.js';
import { assessPod } from './pod-state.js';
import { waitForReadyPod, type WaitForReadyOptions } from './readiness.js';

export interface PodTrackerOptions {
  kc: KubeConfig;
  core: CoreV1Api;
  namespace: string;
  /** SANDBOX_INSTANCE: only this install's sandbox pods are watched (and counted in flight). */
  instance: string;
  logger: Logger;
  /** Re-list period while a sandbox waits or runs (default 30 s). */
  resyncIntervalMs?: number;
  /** How long start() waits for the first list before failing (default 30 s). */
  startTimeoutMs?: number;
}

export interface PodTracker {
  /** Starts the watch; resolves once the initial list has been loaded. */
  start(): Promise<void>;
  stop(): Promise<void>;
  waitForReady(options: WaitForReadyOptions): Promise<V1Pod>;
  /** Calls `onGone` once when the pod is deleted or fails; returns an unsubscribe function. */
  watchPod(jobUid: string, podName: string, onGone: (reason: string) => void): () => void;
  /** Sandbox pods of any worker of this install that are not finished: its in-flight sandboxes. */
  inFlight(): number;
}

type Listener = () => void;

const DEFAULT_RESYNC_MS = 30_000;
const DEFAULT_START_TIMEOUT_MS = 30_000;
const RESTART_BASE_MS = 1_000;
const RESTART_MAX_MS = 30_000;

function ownerUid(pod: V1Pod): string | undefined {
  return pod.metadata?.ownerReferences?.find((ref) => ref.controller === true && ref.kind === 'Job')?.uid;
}

/** Larger resourceVersion wins when both are numbers (etcd's are); otherwise the incoming one. */
function isNewer(incoming: V1Pod, current: V1Pod | undefined): boolean {
  const a = incoming.metadata?.resourceVersion;
  const b = current?.metadata?.resourceVersion;
  if (current === undefined || a === undefined || b === undefined) return true;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) >= BigInt(b);
  return true;
}

export function createPodTracker(options: PodTrackerOptions): PodTracker {
  const { core, namespace, logger } = options;
  const selector = instanceSelector(options.instance);
  const resyncMs = options.resyncIntervalMs ?? DEFAULT_RESYNC_MS;
  const pods = new Map<string, V1Pod>();
  /** Jobs someone follows: their listeners, and every pod name seen for them, so "its pod
   * vanished" is told apart from "no pod yet". */
  const watched = new Map<string, { listeners: Set<Listener>; seen: Set<string> }>();
  let informer: ListWatch<V1Pod> | undefined;
  let synced = false;
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let resyncTimer: NodeJS.Timeout | undefined;
  let restartDelay = RESTART_BASE_MS;
  let lastWatchActivity = Date.now();
  let starting: Promise<void> | undefined;

  const notify = (jobUid: string | undefined): void => {
    const entry = jobUid === undefined ? undefined : watched.get(jobUid);
    if (entry === undefined) return;
    for (const listener of [...entry.listeners]) listener();
  };
  const upsert = (pod: V1Pod): void => {
    const name = pod.metadata?.name;
    if (name === undefined || !isNewer(pod, pods.get(name))) return;
    pods.set(name, pod);
    const uid = ownerUid(pod);
    watched.get(uid ?? '')?.seen.add(name);
    notify(uid);
  };
  const remove = (pod: V1Pod): void => {
    const name = pod.metadata?.name;
    if (name === undefined || !pods.delete(name)) return;
    notify(ownerUid(pod));
  };
  const fromWatch = (apply: (pod: V1Pod) => void) => (pod: V1Pod) => {
    lastWatchActivity = Date.now();
    apply(pod);
  };
  const podsOf = (jobUid: string): V1Pod[] => [...pods.values()].filter((pod) => ownerUid(pod) === jobUid);
  const subscribe = (jobUid: string, listener: Listener): (() => void) => {
    let entry = watched.get(jobUid);
    if (entry === undefined) {
      entry = { listeners: new Set(), seen: new Set(podsOf(jobUid).map((pod) => pod.metadata?.name ?? '')) };
      watched.set(jobUid, entry);
    }
    const own = entry;
    own.listeners.add(listener);
    return () => {
      own.listeners.delete(listener);
      if (own.listeners.size === 0 && watched.get(jobUid) === own) watched.delete(jobUid);
    };
  };

  const list = async (): Promise<V1PodList> => {
    const result = await core.listNamespacedPod({ namespace, labelSelector: selector });
    synced = true;
    restartDelay = RESTART_BASE_MS;
    return result;
  };

  let lastError: unknown;
  const scheduleRestart = (err: unknown): void => {
    lastError = err;
    if (stopped || restartTimer !== undefined) return;
    logger.warn({ err, retryInMs: restartDelay }, 'pod_watch_error');
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void informer?.start().catch((e: unknown) => scheduleRestart(e));
    }, restartDelay);
    restartDelay = Math.min(restartDelay * 2, RESTART_MAX_MS);
  };

  // A full list corrects the view: pods it lacks are gone, unless the watch saw them change
  // after the list's snapshot (then the watch is the newer truth).
  const resync = async (): Promise<void> => {
    const listed = await list();
    const snapshot = listed.metadata?.resourceVersion;
    const names = new Set<string>();
    let drift = 0;
    for (const pod of listed.items) {
      const name = pod.metadata?.name;
      if (name === undefined) continue;
      names.add(name);
      const cached = pods.get(name);
      if (cached?.metadata?.resourceVersion !== pod.metadata?.resourceVersion && isNewer(pod, cached)) drift++;
      upsert(pod);
    }
    for (const pod of [...pods.values()]) {
      const rv = pod.metadata?.resourceVersion;
      const olderThanSnapshot =
        snapshot !== undefined &&
        rv !== undefined &&
        /^\d+$/.test(rv) &&
        /^\d+$/.test(snapshot) &&
        BigInt(rv) <= BigInt(snapshot);
      if (!names.has(pod.metadata?.name ?? '') && olderThanSnapshot) {
        drift++;
        remove(pod);
      }
    }
    // Differences while the watch was quiet mean it missed changes; the list above has already
    // corrected the view, and the watch's own inactivity timeout reconnects a dead connection.
    // (Restarting the ListWatch here would abort its request, which it reports as an error.)
    if (drift > 0 && Date.now() - lastWatchActivity > resyncMs) logger.warn({ drift }, 'pod_watch_drift_corrected');
  };

  const scheduleResync = (): void => {
    if (stopped) return;
    resyncTimer = setTimeout(() => {
      const busy = watched.size > 0;
      (busy ? resync() : Promise.resolve())
        .catch((err: unknown) => logger.warn({ err }, 'pod_resync_failed'))
        .finally(scheduleResync);
    }, resyncMs);
    resyncTimer.unref();
  };

  return {
    start() {
      starting ??= (async () => {
        const watch = new Watch(options.kc);
        informer = new ListWatch<V1Pod>(`/api/v1/namespaces/${namespace}/pods`, watch, list, false, selector);
        informer.on('add', fromWatch(upsert));
        informer.on('update', fromWatch(upsert));
        informer.on('delete', fromWatch(remove));
        informer.on('connect', () => (lastWatchActivity = Date.now()));
        informer.on('error', scheduleRestart);
        const deadline = Date.now() + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
        await informer.start();
        // The first list failed (the error handler scheduled a retry): wait for one to succeed.
        while (!synced && !stopped) {
          if (Date.now() > deadline) {
            stopped = true;
            clearTimeout(restartTimer);
            await informer.stop();
            throw new InfrastructureError(
              'kubernetes_unreachable',
              `could not list sandbox pods in namespace ${namespace}: ${apiMessage(lastError)}`,
              {
                cause: lastError,
              },
            );
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        scheduleResync();
        logger.info({ namespace, pods: pods.size, inFlight: countInFlight() }, 'pod_tracker_started');
      })();
      return starting;
    },

    async stop() {
      stopped = true;
      clearTimeout(restartTimer);
      clearTimeout(resyncTimer);
      await informer?.stop();
      for (const entry of [...watched.values()]) for (const listener of [...entry.listeners]) listener();
    },

    waitForReady(wait) {
      return waitForReadyPod(
        {
          podsOf,
          everHadPod: (jobUid) => (watched.get(jobUid)?.seen.size ?? 0) > 0,
          subscribe,
          stopped: () => stopped,
          recheckMissingMs: resyncMs,
          logger,
        },
        wait,
      );
    },

    watchPod(jobUid, podName, onGone) {
      let fired = false;
      const check = (): void => {
        if (fired) return;
        const pod = pods.get(podName);
        const gone = stopped
          ? 'the sandbox provider stopped'
          : pod === undefined
            ? 'the sandbox pod was deleted'
            : assessPod(pod).kind === 'fatal'
              ? (assessPod(pod) as { detail: string }).detail
              : undefined;
        if (gone !== undefined) {
          fired = true;
          onGone(gone);
        }
      };
      return subscribe(jobUid, check);
    },

    inFlight: () => countInFlight(),
  };

  function countInFlight(): number {
    let n = 0;
    for (const pod of pods.values()) {
      const phase = pod.status?.phase;
      if (!pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') n++;
    }
    return n;
  }
}
