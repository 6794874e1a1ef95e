// The one KubeConfig the driver talks through. Every request the client library makes passes one
// of two hooks (applySecurityAuthentication for REST and watch, applyToHTTPSOptions for exec
// websockets), which is where requests are counted, bounded and pooled:
//   - counted per task (AsyncLocalStorage carries the task id), so the request budget of a task
//     is measured on the client, not guessed;
//   - bounded: a REST call that takes longer than requestTimeoutMs is aborted (watches keep their
//     own inactivity timeout, execs their own bounds);
//   - pooled: the library builds a new undici Agent (a new TLS handshake) for every call; one
//     shared agent keeps connections alive across calls.
import { AsyncLocalStorage } from 'node:async_hooks';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

export type KubeRequestKind = 'api' | 'watch' | 'exec';

export interface KubeRequestInfo {
  kind: KubeRequestKind;
  method: string;
  /** Path without the query string (no selector values, no exec command). */
  path: string;
  /** The task on whose behalf the request was made; undefined for shared work (informer, reaper). */
  taskId: string | undefined;
}

export type KubeRequestObserver = (info: KubeRequestInfo) => void;

const taskScope = new AsyncLocalStorage<string>();

/** Runs `fn` with every Kubernetes request it makes attributed to `taskId`. */
export function inTaskScope<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
  return taskScope.run(taskId, fn);
}

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class InstrumentedKubeConfig extends KubeConfig {
  private shared: Dispatcher | undefined;

  constructor(
    private readonly observer: KubeRequestObserver | undefined,
    private readonly requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {
    super();
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const url = new URL(context.getUrl());
    const watch = url.searchParams.get('watch') === 'true';
    this.observer?.({
      kind: watch ? 'watch' : 'api',
      method: String(context.getHttpMethod()),
      path: url.pathname,
      taskId: taskScope.getStore(),
    });
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh !== undefined) {
      this.shared ??= fresh;
      context.setDispatcher(this.shared);
    }
    if (!watch) context.setSignal(AbortSignal.timeout(this.requestTimeoutMs));
  }

  override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    this.observer?.({ kind: 'exec', method: 'GET', path: 'exec', taskId: taskScope.getStore() });
    await super.applyToHTTPSOptions(opts);
  }

  /** Closes pooled connections (open watches are cut). */
  async close(): Promise<void> {
    const shared = this.shared;
    this.shared = undefined;
    await shared?.destroy();
  }
}

export interface KubeConfigSource {
  kubeconfig: string | undefined;
  inCluster: boolean;
}

/** Loads the configured credentials into an instrumented config (or copies an injected one). */
export function loadKubeConfig(
  source: KubeConfigSource,
  observer: KubeRequestObserver | undefined,
  injected?: KubeConfig,
): InstrumentedKubeConfig {
  const kc = new InstrumentedKubeConfig(observer);
  if (injected !== undefined) {
    kc.loadFromOptions({
      clusters: injected.clusters,
      users: injected.users,
      contexts: injected.contexts,
      currentContext: injected.getCurrentContext(),
    });
  } else if (source.kubeconfig !== undefined) {
    kc.loadFromFile(source.kubeconfig);
  } else if (source.inCluster) {
    kc.loadFromCluster();
  } else {
    kc.loadFromDefault();
  }
  return kc;
}
