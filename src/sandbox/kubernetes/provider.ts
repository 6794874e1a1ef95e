// The `kubernetes` sandbox driver: one hardened Job per task (job-spec.ts), readiness from one
// shared pod watch per process (pod-tracker.ts), commands over exec websockets (sandbox.ts), and a
// reaper for Jobs whose worker died (reaper.ts). Whatever fails on the way to a ready sandbox, the
// Job is deleted before the error leaves create().
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchV1Api, CoreV1Api, type KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import type { Config } from '../../config.js';
import { CancelledError, CapacityError, InfrastructureError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Sandbox, SandboxProvider, SandboxRequest } from '../types.js';
import {
  apiStatusCode,
  backgroundDelete,
  capacityDelayMs,
  classifyCreateError,
  kubernetesError,
  retryThrottled,
  THROTTLE_MAX_DELAY_MS,
} from './api-errors.js';
import { formatEvents, listEvents, podCreationFailure } from './events.js';
import { buildSandboxJob } from './job-spec.js';
import { inTaskScope, loadKubeConfig, type KubeRequestObserver } from './kube-client.js';
import { LABEL_INSTANCE, SANDBOX_CONTAINER } from './labels.js';
import { createPodTracker } from './pod-tracker.js';
import { SandboxPodError } from './readiness.js';
import { createReaper, type ReapResult } from './reaper.js';
import { KubernetesSandbox, type ExecTuning } from './sandbox.js';

export interface KubernetesSandboxTuning extends ExecTuning {
  /** Pod re-list period while sandboxes wait or run. */
  resyncIntervalMs: number;
  /** How long a Job may have no pod before its events are read for the reason. */
  noPodCheckMs: number;
  /** How long start() may wait for the first pod list (the API server must answer). */
  startTimeoutMs: number;
}

export interface KubernetesSandboxProviderOptions {
  config: Config['sandbox']['kubernetes'];
  logger: Logger;
  /** Credentials to use instead of config.kubeconfig / in-cluster (copied, never mutated). */
  kubeConfig?: KubeConfig;
  /**
   * Whether a worker still holds the task (the reaper deletes Jobs of tasks that are not).
   * Without it the reaper only enforces the maximum age.
   */
  isTaskActive?: (taskId: string) => Promise<boolean>;
  /** Sees every Kubernetes request this driver makes (metrics, the request-budget benchmark). */
  onRequest?: KubeRequestObserver;
  tuning?: Partial<KubernetesSandboxTuning>;
}

export interface KubernetesSandboxProvider extends SandboxProvider {
  readonly kind: 'kubernetes';
  /** Unfinished sandbox pods of this install in the namespace, from the shared watch (all its workers' pods). */
  inFlight(): number;
  /** Runs one reaper pass now (serialised with the periodic ones). */
  reap(): Promise<ReapResult>;
}

const DEFAULT_TUNING: KubernetesSandboxTuning = {
  killGraceMs: 3_000,
  connectTimeoutMs: 30_000,
  heartbeatMs: 20_000,
  staleAfterMs: 60_000,
  throttleWaitMs: 60_000,
  resyncIntervalMs: 30_000,
  noPodCheckMs: 10_000,
  startTimeoutMs: 30_000,
};
const REPLACE_ATTEMPTS = 10;
const DELETE_ATTEMPTS = 3;
/** A throttled read or delete of a task's Job waits (Retry-After) this long in total, one wait at most THROTTLE_MAX_DELAY_MS. */
const THROTTLE_WAIT_MS = 60_000;
/** Capacity waits are remembered per task for backoff; this caps the map of a long-lived worker. */
const MAX_TRACKED_WAITS = 10_000;

export function createKubernetesSandboxProvider(options: KubernetesSandboxProviderOptions): KubernetesSandboxProvider {
  const { config, logger } = options;
  const tuning: KubernetesSandboxTuning = { ...DEFAULT_TUNING, ...options.tuning };
  const namespace = config.namespace;
  const kc = loadKubeConfig(config, options.onRequest, options.kubeConfig);
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const tracker = createPodTracker({
    kc,
    core,
    namespace,
    instance: config.instance,
    logger,
    resyncIntervalMs: tuning.resyncIntervalMs,
    startTimeoutMs: tuning.startTimeoutMs,
  });
  const open = new Set<KubernetesSandbox>();
  /** Tasks between "create Job" and "sandbox open" in this process: not for the reaper. */
  const creating = new Set<string>();
  const capacityWaits = new Map<string, number>();
  /** create() calls under way; stop() lets their cleanup finish before closing connections. */
  const pending = new Set<Promise<unknown>>();
  const reaper = createReaper({
    batch,
    namespace,
    instance: config.instance,
    intervalMs: config.reaperIntervalSeconds * 1000,
    maxAgeMs: config.maxAgeSeconds * 1000,
    ...(options.isTaskActive ? { isTaskActive: options.isTaskActive } : {}),
    localTaskIds: () => new Set([...creating, ...[...open].map((s) => s.taskId)]),
    logger,
  });
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  const throttled = <T>(call: () => Promise<T>): Promise<T> =>
    retryThrottled(call, { maxWaitMs: THROTTLE_WAIT_MS, maxDelayMs: THROTTLE_MAX_DELAY_MS });

  async function deleteJob(name: string, uid: string | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        // Throttling is waited out as the server asks; DELETE_ATTEMPTS count the other failures.
        await throttled(() => batch.deleteNamespacedJob({ name, namespace, body: backgroundDelete(uid) }));
        logger.debug({ job: name, uid }, 'sandbox_job_deleted');
        return;
      } catch (err) {
        const status = apiStatusCode(err);
        // Gone already, or (409) the name belongs to a newer Job of a retry: nothing of ours left.
        if (status === 404 || status === 409) return;
        if (attempt >= DELETE_ATTEMPTS)
          throw kubernetesError('sandbox_delete_failed', `could not delete sandbox Job ${name}`, err);
        await sleep(500 * 2 ** attempt);
      }
    }
  }

  /** A Job of this task already exists (a previous attempt): delete it, so one Job runs, never two. */
  async function clearPrevious(name: string): Promise<void> {
    let existing: V1Job;
    try {
      existing = await throttled(() => batch.readNamespacedJob({ name, namespace }));
    } catch (err) {
      if (apiStatusCode(err) === 404) return;
      throw kubernetesError('sandbox_create_failed', `could not read the existing sandbox Job ${name}`, err);
    }
    if (existing.metadata?.deletionTimestamp) return;
    // Another install's Job of the same name (task ids are random, so hardly ever): never ours to delete.
    const owner = existing.metadata?.labels?.[LABEL_INSTANCE];
    if (owner !== config.instance) {
      throw new InfrastructureError(
        'sandbox_job_name_taken',
        `sandbox Job ${name} exists and belongs to another install (${LABEL_INSTANCE}=${owner ?? 'unset'}, this one is ${config.instance})`,
      );
    }
    logger.info({ job: name, uid: existing.metadata?.uid }, 'sandbox_job_replaced');
    await deleteJob(name, existing.metadata?.uid);
  }

  async function createJob(body: V1Job, taskId: string): Promise<V1Job> {
    const name = body.metadata?.name ?? '';
    for (let attempt = 0; attempt < REPLACE_ATTEMPTS; attempt++) {
      try {
        return await batch.createNamespacedJob({ namespace, body });
      } catch (err) {
        const status = apiStatusCode(err);
        if (status === 409) {
          await clearPrevious(name);
          if (attempt > 0) await sleep(250 * attempt);
          continue;
        }
        const waits = capacityWaits.get(taskId) ?? 0;
        const mapped = classifyCreateError(err, waits);
        if (mapped instanceof CapacityError) {
          if (capacityWaits.size >= MAX_TRACKED_WAITS) capacityWaits.clear();
          capacityWaits.set(taskId, waits + 1);
        }
        // No answer, or a server error: the Job may exist after all; make sure it does not.
        if (status === undefined || status >= 500) await deleteJob(name, undefined).catch(() => undefined);
        throw mapped;
      }
    }
    throw new InfrastructureError(
      'sandbox_create_conflict',
      `the previous sandbox Job ${name} of this task is still being deleted`,
    );
  }

  /** Why the Job has no pod yet, from its FailedCreate events (quota, admission, service account). */
  async function explainMissingPod(jobName: string): Promise<Error | undefined> {
    const events = await listEvents(core, namespace, [{ kind: 'Job', name: jobName }]);
    const failure = podCreationFailure(events);
    if (failure === undefined) return undefined;
    if (/exceeded quota/i.test(failure))
      return new CapacityError(`sandbox pod quota exhausted: ${failure}`, capacityDelayMs(0));
    return new InfrastructureError(
      'sandbox_pod_rejected',
      `the sandbox pod of Job ${jobName} cannot be created: ${failure}; events: ${formatEvents(events)}`,
    );
  }

  async function withEvents(err: SandboxPodError, jobName: string): Promise<InfrastructureError> {
    const objects = [{ kind: 'Job', name: jobName }, ...(err.podName ? [{ kind: 'Pod', name: err.podName }] : [])];
    let events = '';
    try {
      events = formatEvents(await listEvents(core, namespace, objects));
    } catch (e) {
      events = `(events unavailable: ${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
    }
    const where = err.podName ? `pod ${err.podName}` : `Job ${jobName}`;
    return new InfrastructureError(
      err.code,
      `sandbox ${where} failed to start: ${err.detail}; recent events: ${events || 'none'}`,
      {
        cause: err,
        details: { job: jobName, ...(err.podName ? { pod: err.podName } : {}) },
      },
    );
  }

  /** The Job's pod once ready; a pod that cannot start fails with its recent events. */
  async function readyPod(request: SandboxRequest, jobName: string, jobUid: string): Promise<V1Pod> {
    try {
      return await tracker.waitForReady({
        jobUid,
        timeoutMs: config.readyTimeoutSeconds * 1000,
        graces: {
          imagePullMs: config.imagePullGraceSeconds * 1000,
          unschedulableMs: config.unschedulableGraceSeconds * 1000,
        },
        ...(request.signal ? { signal: request.signal } : {}),
        checkMissingPod: () => inTaskScope(request.taskId, () => explainMissingPod(jobName)),
        noPodCheckMs: tuning.noPodCheckMs,
      });
    } catch (err) {
      throw err instanceof SandboxPodError ? await withEvents(err, jobName) : err;
    }
  }

  async function createSandbox(request: SandboxRequest): Promise<Sandbox> {
    const startedMs = Date.now();
    const body = buildSandboxJob({
      taskId: request.taskId,
      ...(request.role === 'proof' ? { role: 'proof' as const } : {}),
      namespace,
      instance: config.instance,
      image: config.image,
      resources: config.resources,
      placement: { nodeSelector: config.nodeSelector, tolerations: config.tolerations },
      timeoutSeconds: request.timeoutSeconds,
      readyTimeoutSeconds: config.readyTimeoutSeconds,
    });
    const name = body.metadata?.name ?? '';
    let job: V1Job | undefined;
    let sandbox: KubernetesSandbox | undefined;
    creating.add(request.taskId);
    try {
      job = await createJob(body, request.taskId);
      const uid = job.metadata?.uid ?? '';
      logger.info({ taskId: request.taskId, job: name, uid }, 'sandbox_job_created');
      if (request.signal?.aborted) throw new CancelledError('task cancelled while its sandbox was being created');
      const pod = await readyPod(request, name, uid);
      const podName = pod.metadata?.name ?? '';
      const created = new KubernetesSandbox({
        kc,
        target: { namespace, pod: podName, container: SANDBOX_CONTAINER },
        taskId: request.taskId,
        jobName: name,
        memoryLimit: config.resources.memoryLimit,
        logger,
        tuning,
        deleteJob: () => inTaskScope(request.taskId, () => deleteJob(name, uid)),
        onDisposed: (s) => open.delete(s),
      });
      sandbox = created;
      open.add(created);
      created.attachPodWatch(tracker.watchPod(uid, podName, (reason) => created.podLost(reason)));
      await created.init(request.signal);
      capacityWaits.delete(request.taskId);
      logger.info(
        { taskId: request.taskId, job: name, pod: podName, readyMs: Date.now() - startedMs },
        'sandbox_ready',
      );
      return created;
    } catch (err) {
      logger.warn({ taskId: request.taskId, job: name, err }, 'sandbox_start_failed');
      // Teardown in every failure path, so a Job never outlives a sandbox that never was.
      if (sandbox !== undefined)
        await sandbox.dispose().catch((e: unknown) => logger.error({ err: e, job: name }, 'sandbox_dispose_failed'));
      else if (job !== undefined)
        await deleteJob(name, job.metadata?.uid).catch((e: unknown) =>
          logger.error({ err: e, job: name }, 'sandbox_dispose_failed'),
        );
      throw err;
    } finally {
      creating.delete(request.taskId);
    }
  }

  return {
    kind: 'kubernetes',

    start() {
      starting ??= (async () => {
        await tracker.start();
        reaper.start();
        logger.info({ namespace, image: config.image, inFlight: tracker.inFlight() }, 'sandbox_kubernetes_started');
      })();
      return starting;
    },

    async create(request) {
      if (starting === undefined)
        throw new InfrastructureError('sandbox_provider_not_started', 'kubernetes sandbox provider was not started');
      await starting;
      if (stopping !== undefined)
        throw new InfrastructureError('sandbox_provider_stopped', 'kubernetes sandbox provider is stopped');
      if (request.signal?.aborted) throw new CancelledError('task cancelled before its sandbox was created');
      const creation = inTaskScope(request.taskId, () => createSandbox(request));
      pending.add(creation);
      void creation.finally(() => pending.delete(creation)).catch(() => undefined);
      return creation;
    },

    stop() {
      stopping ??= (async () => {
        await reaper.stop();
        await Promise.allSettled([...open].map((s) => s.dispose()));
        // Waiting creations fail once the tracker stops; their Jobs are deleted before we close.
        await tracker.stop();
        await Promise.allSettled([...pending]);
        await Promise.allSettled([...open].map((s) => s.dispose()));
        await kc.close();
      })();
      return stopping;
    },

    inFlight: () => tracker.inFlight(),
    reap: () => reaper.tick(),
  };
}
