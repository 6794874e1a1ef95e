// The readiness waiter against an in-memory pod view (the shared watch's side is covered on the
// real cluster in test/k8s/sandbox-pod-tracking.test.ts).
import type { V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { MarkerReader } from '../../src/sandbox/kubernetes/exec-streams.js';
import {
  SandboxPodError,
  waitForReadyPod,
  type PodView,
  type WaitForReadyOptions,
} from '../../src/sandbox/kubernetes/readiness.js';

class MemoryView implements PodView {
  pods: V1Pod[] = [];
  seen = false;
  isStopped = false;
  recheckMissingMs = 20;
  logger = pino({ level: 'silent' });
  private listeners = new Set<() => void>();
  podsOf = () => this.pods;
  everHadPod = () => this.seen;
  stopped = () => this.isStopped;
  subscribe = (_uid: string, listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };
  get subscribers(): number {
    return this.listeners.size;
  }
  set(pod: V1Pod | undefined): void {
    this.pods = pod === undefined ? [] : [pod];
    if (pod !== undefined) this.seen = true;
    for (const l of [...this.listeners]) l();
  }
}

const pending: V1Pod = { metadata: { name: 'p' }, status: { phase: 'Pending' } };
const ready: V1Pod = {
  metadata: { name: 'p' },
  status: {
    phase: 'Running',
    containerStatuses: [{ name: 'sandbox', ready: true, image: 'i', imageID: '', restartCount: 0 }],
  },
};
const pullError: V1Pod = {
  metadata: { name: 'p' },
  status: {
    phase: 'Pending',
    containerStatuses: [
      {
        name: 'sandbox',
        ready: false,
        image: 'i',
        imageID: '',
        restartCount: 0,
        state: { waiting: { reason: 'ErrImagePull' } },
      },
    ],
  },
};
const options = (extra: Partial<WaitForReadyOptions> = {}): WaitForReadyOptions => ({
  jobUid: 'uid',
  timeoutMs: 10_000,
  graces: { imagePullMs: 50, unschedulableMs: 50 },
  ...extra,
});

describe('waiting for a sandbox pod', () => {
  it('resolves when an update makes the pod ready, and stops listening', async () => {
    const view = new MemoryView();
    const waiting = waitForReadyPod(view, options());
    view.set(pending);
    view.set(ready);
    expect((await waiting).status?.phase).toBe('Running');
    expect(view.subscribers).toBe(0);
  });

  it('fails a pull error once its grace runs out, without any further event', async () => {
    const view = new MemoryView();
    view.set(pullError);
    const err = await waitForReadyPod(view, options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxPodError);
    expect(err).toMatchObject({ code: 'sandbox_image_pull_failed', podName: 'p' });
  });

  it('fails when the pod it saw disappears', async () => {
    const view = new MemoryView();
    const waiting = waitForReadyPod(view, options());
    view.set(pending);
    view.set(undefined);
    await expect(waiting).rejects.toMatchObject({ code: 'sandbox_pod_deleted' });
  });

  it('rejects with CancelledError on abort, also when already aborted', async () => {
    const view = new MemoryView();
    const controller = new AbortController();
    const waiting = waitForReadyPod(view, options({ signal: controller.signal }));
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    await expect(waitForReadyPod(view, options({ signal: controller.signal }))).rejects.toBeInstanceOf(CancelledError);
    expect(view.subscribers).toBe(0);
  });

  it('names the state it gave up in at the ready timeout', async () => {
    const view = new MemoryView();
    view.set(pending);
    await expect(waitForReadyPod(view, options({ timeoutMs: 30 }))).rejects.toMatchObject({
      code: 'sandbox_ready_timeout',
      message: expect.stringContaining('pod p still Pending'),
    });
    await expect(waitForReadyPod(new MemoryView(), options({ timeoutMs: 30 }))).rejects.toThrow('no pod was created');
  });

  it('asks why a Job has no pod and fails with that answer', async () => {
    const view = new MemoryView();
    let asked = 0;
    const err = await waitForReadyPod(
      view,
      options({
        noPodCheckMs: 10,
        checkMissingPod: async () => (++asked >= 2 ? new Error('pods "x" is forbidden: exceeded quota') : undefined),
      }),
    ).then(
      () => new Error('expected the wait to fail'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toContain('exceeded quota');
    expect(asked).toBe(2);
  });

  it('fails when the provider stops', async () => {
    const view = new MemoryView();
    const waiting = waitForReadyPod(view, options());
    view.isStopped = true;
    view.set(pending);
    await expect(waiting).rejects.toMatchObject({ code: 'sandbox_provider_stopped' });
  });
});

describe('marker line reader', () => {
  function read(chunks: string[]) {
    const markers: unknown[] = [];
    const data: string[] = [];
    const reader = new MarkerReader(
      (m) => markers.push(m),
      (c) => data.push(c.toString()),
    );
    for (const c of chunks) reader.push(Buffer.from(c));
    return { markers, data: data.join('') };
  }

  it('splits the pid marker off the first line, across chunks', () => {
    expect(read(['ci-fixer-p', 'id 42\nout', 'put\n'])).toEqual({
      markers: [{ kind: 'pid', pid: 42 }],
      data: 'output\n',
    });
  });

  it('passes a first line that is not a marker through unchanged', () => {
    expect(read(['hello\nworld'])).toEqual({ markers: [{ kind: 'unknown', line: 'hello' }], data: 'hello\nworld' });
    const long = 'x'.repeat(300);
    expect(read([long]).data).toBe(long);
  });
});
