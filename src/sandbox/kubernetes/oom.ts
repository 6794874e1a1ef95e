// Out-of-memory kills in a sandbox pod, as facts the task can report plainly instead of an exit
// code that means nothing ("137"). Pure, so each rule is unit-tested:
//   - the pod status: a container that terminated with reason OOMKilled (cgroup v2 nodes, where
//     the kubelet kills the whole container, PID 1 included);
//   - the container cgroup's oom_kill counter, read inside the pod before and after a command:
//     on cgroup v1 nodes the kernel kills only the biggest process (the command), the container
//     keeps running and its status never changes.
import type { V1Pod } from '@kubernetes/client-node';
import { SANDBOX_CONTAINER } from './labels.js';

/** A SIGKILL'd command (128 + 9): the only exit an OOM kill produces. */
export const KILLED_EXIT_CODE = 137;

/**
 * Prints the container cgroup's OOM kill count: cgroup v2 `memory.events`, else cgroup v1
 * `memory.oom_control` (both carry an `oom_kill N` line). Prints nothing where neither exists.
 */
export const OOM_COUNT_COMMAND =
  'cat /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null; exit 0';

/** The `oom_kill N` count in the output of OOM_COUNT_COMMAND; undefined when absent. */
export function parseOomKillCount(text: string): number | undefined {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** Whether a command that ended with `exitCode` was killed for memory, from the counts around it. */
export function commandOomKilled(exitCode: number, before: number | undefined, after: number | undefined): boolean {
  return exitCode === KILLED_EXIT_CODE && before !== undefined && after !== undefined && after > before;
}

/** The sandbox container's memory limit as written in the pod spec ("1Gi"); undefined if none. */
export function memoryLimitOf(pod: V1Pod): string | undefined {
  const container = pod.spec?.containers.find((c) => c.name === SANDBOX_CONTAINER);
  const limit = container?.resources?.limits?.memory;
  return limit === undefined ? undefined : String(limit);
}

/** Whether the sandbox container was OOM-killed, from its current or last state. */
export function podOomKilled(pod: V1Pod): boolean {
  const status = pod.status?.containerStatuses?.find((c) => c.name === SANDBOX_CONTAINER);
  return status?.state?.terminated?.reason === 'OOMKilled' || status?.lastState?.terminated?.reason === 'OOMKilled';
}

export function oomMessage(limit: string | undefined): string {
  return `the command was killed: out of memory (limit ${limit ?? 'unknown'})`;
}
