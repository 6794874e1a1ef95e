// The one place that decides which tasks a caller may read. Today every valid API token reads
// every task; per-token scopes (read:own / read:all) replace the body of canReadTask, and every
// route and console page that shows a task already asks here.
import type { Context } from 'hono';
import type { TaskSummary } from '../queue/types.js';
import type { QueuedTaskSpec } from '../task.js';
import type { AppEnv } from './env.js';

/** Who is asking; the auth middleware has already accepted their token. */
export interface Caller {
  readonly authenticated: true;
}

/** What a read decision may look at: the task's id and where it came from. */
export type ReadableTask = { id: string } & ({ spec: QueuedTaskSpec } | Pick<TaskSummary, 'source' | 'repo'>);

export function callerOf(_c: Context<AppEnv>): Caller {
  return { authenticated: true };
}

export function canReadTask(_caller: Caller, _task: ReadableTask): boolean {
  return true;
}

/** The list and stats filter for this request's caller. */
export function readableBy(c: Context<AppEnv>): (task: ReadableTask) => boolean {
  const caller = callerOf(c);
  return (task) => canReadTask(caller, task);
}
