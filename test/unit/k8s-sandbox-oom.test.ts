import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  commandOomKilled,
  memoryLimitOf,
  oomMessage,
  parseOomKillCount,
  podOomKilled,
} from '../../src/sandbox/kubernetes/oom.js';
import { assessPod } from '../../src/sandbox/kubernetes/pod-state.js';

type ContainerStatus = NonNullable<NonNullable<V1Pod['status']>['containerStatuses']>[number];
const base = { name: 'sandbox', image: 'i', imageID: '', ready: false, restartCount: 0 };

function sandboxPod(status: Partial<ContainerStatus>, phase = 'Running', limit: string | null = '1Gi'): V1Pod {
  return {
    metadata: { name: 'p' },
    spec: {
      containers: [
        { name: 'sandbox', image: 'i', ...(limit === null ? {} : { resources: { limits: { memory: limit } } }) },
      ],
    },
    status: { phase, containerStatuses: [{ ...base, ...status }] },
  };
}

describe('OOM kills from the pod status', () => {
  it('fails the sandbox plainly, with the configured limit, when its container was OOMKilled', () => {
    const killed = sandboxPod({ state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }, 'Failed');
    expect(podOomKilled(killed)).toBe(true);
    expect(assessPod(killed)).toEqual({
      kind: 'fatal',
      code: 'sandbox_oom_killed',
      detail: 'the command was killed: out of memory (limit 1Gi)',
    });
  });

  it('sees an OOM kill in the last state of a restarted container', () => {
    const restarted = sandboxPod({
      state: { running: {} },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
    });
    expect(podOomKilled(restarted)).toBe(true);
  });

  it('does not call other terminations or other containers OOM', () => {
    expect(podOomKilled(sandboxPod({ state: { terminated: { exitCode: 137, reason: 'Error' } } }, 'Failed'))).toBe(
      false,
    );
    expect(
      assessPod(sandboxPod({ state: { terminated: { exitCode: 137, reason: 'Error' } } }, 'Failed')),
    ).toMatchObject({ code: 'sandbox_pod_failed' });
    const sidecar: V1Pod = {
      spec: { containers: [] },
      status: {
        phase: 'Running',
        containerStatuses: [{ ...base, name: 'other', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
      },
    };
    expect(podOomKilled(sidecar)).toBe(false);
    expect(podOomKilled({})).toBe(false);
  });

  it('reads the limit from the sandbox container and says when there is none', () => {
    expect(memoryLimitOf(sandboxPod({}, 'Running', '256Mi'))).toBe('256Mi');
    expect(memoryLimitOf(sandboxPod({}, 'Running', null))).toBeUndefined();
    expect(oomMessage(undefined)).toBe('the command was killed: out of memory (limit unknown)');
  });
});

describe('OOM kills from the container cgroup counter', () => {
  it('parses the oom_kill count of cgroup v1 memory.oom_control and cgroup v2 memory.events', () => {
    expect(parseOomKillCount('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n')).toBe(3);
    expect(parseOomKillCount('low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n')).toBe(2);
    expect(parseOomKillCount('')).toBeUndefined();
    expect(parseOomKillCount('oom_kill_disable 0\n')).toBeUndefined();
  });

  it('calls a command OOM-killed only when it was SIGKILLed and the count went up', () => {
    expect(commandOomKilled(137, 0, 1)).toBe(true);
    expect(commandOomKilled(137, 1, 1)).toBe(false);
    expect(commandOomKilled(1, 0, 1)).toBe(false);
    expect(commandOomKilled(143, 0, 1)).toBe(false);
    expect(commandOomKilled(137, undefined, 1)).toBe(false);
    expect(commandOomKilled(137, 0, undefined)).toBe(false);
  });
});
