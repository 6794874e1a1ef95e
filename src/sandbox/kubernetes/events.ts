// The recent Kubernetes Events of a sandbox's pod and Job, for error messages: "failed to start"
// alone sends an operator to kubectl; the events usually say why (pull errors, FailedScheduling,
// FailedCreate from quota or admission).
import type { CoreV1Api, CoreV1Event } from '@kubernetes/client-node';

const MAX_EVENTS = 8;
const MAX_MESSAGE = 300;

function when(event: CoreV1Event): number {
  const t = event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
  return t === undefined ? 0 : new Date(t).getTime();
}

/** One line per event, oldest first, the most recent MAX_EVENTS only. */
export function formatEvents(events: CoreV1Event[]): string {
  const recent = [...events].sort((a, b) => when(a) - when(b)).slice(-MAX_EVENTS);
  return recent
    .map((e) => {
      const message = (e.message ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_MESSAGE);
      const count = (e.count ?? 1) > 1 ? ` (x${e.count})` : '';
      return `${e.type ?? 'Normal'} ${e.reason ?? 'Unknown'} ${e.involvedObject.kind ?? ''}/${e.involvedObject.name ?? ''}: ${message}${count}`;
    })
    .join('; ');
}

export async function listEvents(
  core: CoreV1Api,
  namespace: string,
  objects: Array<{ kind: string; name: string }>,
): Promise<CoreV1Event[]> {
  const lists = await Promise.all(
    objects.map((o) =>
      core.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.kind=${o.kind},involvedObject.name=${o.name}`,
      }),
    ),
  );
  return lists.flatMap((l) => l.items);
}

/** FailedCreate of the Job's pod: why a Job has no pod (quota, admission, a missing service account). */
export function podCreationFailure(events: CoreV1Event[]): string | undefined {
  const failed = events.filter((e) => e.reason === 'FailedCreate').sort((a, b) => when(a) - when(b));
  return failed.at(-1)?.message;
}
