import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { formatEvents, podCreationFailure } from '../../src/sandbox/kubernetes/events.js';
import { assessPod, decideReadiness, isPodGone, type ProblemClock } from '../../src/sandbox/kubernetes/pod-state.js';

function pod(status: V1Pod['status'], metadata: V1Pod['metadata'] = {}): V1Pod {
  return { metadata: { name: 'p', ...metadata }, status };
}
const waiting = (reason: string, message = '') =>
  pod({
    phase: 'Pending',
    containerStatuses: [
      {
        name: 'sandbox',
        image: 'i',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason, message } },
      },
    ],
  });
const graces = { imagePullMs: 30_000, unschedulableMs: 120_000 };

describe('assessPod', () => {
  it('is ready only when Running and the sandbox container is ready', () => {
    const running = (ready: boolean) =>
      pod({
        phase: 'Running',
        containerStatuses: [
          { name: 'sandbox', image: 'i', imageID: '', ready, restartCount: 0, state: { running: {} } },
        ],
      });
    expect(assessPod(running(true))).toEqual({ kind: 'ready' });
    expect(assessPod(running(false)).kind).toBe('pending');
    expect(assessPod(pod({ phase: 'Pending' })).kind).toBe('pending');
    expect(assessPod(pod(undefined)).kind).toBe('pending');
  });

  it('sorts image pull failures into the grace-bound kind', () => {
    for (const reason of ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']) {
      expect(assessPod(waiting(reason, 'no such image'))).toEqual({
        kind: 'pull-error',
        detail: `${reason}: no such image`,
      });
    }
    expect(assessPod(waiting('ContainerCreating')).kind).toBe('pending');
  });

  it('fails at once on container config errors, deletion, eviction, deadline and exit', () => {
    expect(assessPod(waiting('CreateContainerConfigError', 'secret "x" not found'))).toMatchObject({
      kind: 'fatal',
      code: 'sandbox_container_config_error',
    });
    expect(assessPod(pod({ phase: 'Running' }, { deletionTimestamp: new Date() }))).toMatchObject({
      kind: 'fatal',
      code: 'sandbox_pod_deleted',
    });
    expect(assessPod(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on ephemeral-storage' }))).toEqual({
      kind: 'fatal',
      code: 'sandbox_evicted',
      detail: 'Evicted: low on ephemeral-storage',
    });
    expect(assessPod(pod({ phase: 'Failed', reason: 'DeadlineExceeded' }))).toMatchObject({
      kind: 'fatal',
      code: 'sandbox_deadline_exceeded',
    });
    expect(assessPod(pod({ phase: 'Failed' }))).toMatchObject({ kind: 'fatal', code: 'sandbox_pod_failed' });
    expect(assessPod(pod({ phase: 'Succeeded' }))).toMatchObject({ kind: 'fatal', code: 'sandbox_pod_completed' });
  });

  it('reads the scheduler verdict', () => {
    const unschedulable = pod({
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/2 nodes are available: 2 Insufficient cpu.',
        },
      ],
    });
    expect(assessPod(unschedulable)).toEqual({
      kind: 'unschedulable',
      detail: 'Unschedulable: 0/2 nodes are available: 2 Insufficient cpu.',
    });
  });

  it('tells a usable pod from a gone one', () => {
    expect(isPodGone(undefined)).toBe(true);
    expect(isPodGone(pod({ phase: 'Failed', reason: 'Evicted' }))).toBe(true);
    expect(isPodGone(pod({ phase: 'Pending' }))).toBe(false);
  });
});

describe('decideReadiness', () => {
  it('waits out the image pull grace from the first sighting, then fails', () => {
    const clock: ProblemClock = {};
    const a = assessPod(waiting('ErrImagePull'));
    expect(decideReadiness(a, clock, 1_000, graces)).toEqual({
      action: 'wait',
      detail: 'ErrImagePull',
      recheckInMs: 30_000,
    });
    expect(decideReadiness(a, clock, 21_000, graces)).toMatchObject({ action: 'wait', recheckInMs: 10_000 });
    expect(decideReadiness(a, clock, 31_000, graces)).toEqual({
      action: 'fail',
      code: 'sandbox_image_pull_failed',
      detail: 'ErrImagePull',
    });
  });

  it('starts a grace over when the problem clears in between', () => {
    const clock: ProblemClock = {};
    const pull = assessPod(waiting('ImagePullBackOff'));
    decideReadiness(pull, clock, 0, graces);
    decideReadiness({ kind: 'pending', detail: 'Pending' }, clock, 20_000, graces);
    expect(decideReadiness(pull, clock, 40_000, graces)).toMatchObject({ action: 'wait', recheckInMs: 30_000 });
  });

  it('fails an unschedulable pod only after its own grace', () => {
    const clock: ProblemClock = {};
    const a = { kind: 'unschedulable', detail: 'Unschedulable: x' } as const;
    expect(decideReadiness(a, clock, 0, graces)).toMatchObject({ action: 'wait', recheckInMs: 120_000 });
    expect(decideReadiness(a, clock, 120_000, graces)).toEqual({
      action: 'fail',
      code: 'sandbox_unschedulable',
      detail: 'Unschedulable: x',
    });
  });

  it('passes ready and fatal straight through, with zero graces too', () => {
    const none = { imagePullMs: 0, unschedulableMs: 0 };
    expect(decideReadiness({ kind: 'ready' }, {}, 0, none)).toEqual({ action: 'ready' });
    expect(decideReadiness(assessPod(waiting('ErrImagePull')), {}, 0, none)).toMatchObject({ action: 'fail' });
  });
});

describe('event summaries', () => {
  const event = (reason: string, message: string, at: string, extra: Partial<CoreV1Event> = {}): CoreV1Event => ({
    metadata: {},
    involvedObject: { kind: 'Pod', name: 'p' },
    reason,
    message,
    type: 'Warning',
    lastTimestamp: new Date(at),
    ...extra,
  });

  it('lists the most recent events oldest first, one line each', () => {
    const text = formatEvents([
      event('Failed', 'Failed to pull image "x":\n  not found', '2026-01-01T00:00:02Z', { count: 3 }),
      event('Scheduled', 'assigned to node', '2026-01-01T00:00:01Z', { type: 'Normal' }),
    ]);
    expect(text).toBe(
      'Normal Scheduled Pod/p: assigned to node; Warning Failed Pod/p: Failed to pull image "x": not found (x3)',
    );
    const many = Array.from({ length: 20 }, (_, i) =>
      event(`R${i}`, 'm', new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()),
    );
    expect(formatEvents(many).split('; ')).toHaveLength(8);
    expect(formatEvents(many)).toMatch(/R19/);
  });

  it('finds the latest FailedCreate of a Job', () => {
    const events = [
      event('FailedCreate', 'old', '2026-01-01T00:00:01Z'),
      event('FailedCreate', 'pods "x" is forbidden: exceeded quota', '2026-01-01T00:00:05Z'),
      event('SuccessfulCreate', 'created', '2026-01-01T00:00:09Z'),
    ];
    expect(podCreationFailure(events)).toBe('pods "x" is forbidden: exceeded quota');
    expect(podCreationFailure([])).toBeUndefined();
  });
});
