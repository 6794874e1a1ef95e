// The one place that decides which tasks a caller may read: the token's scopes (auth.ts). Every
// route and console page that shows a task asks here, so a list, a stats window and a task page
// can never disagree about what a token sees.
import type { Context } from 'hono';
import type { TaskRecord } from '../task.js';
import { canRead, principalOf, type Principal } from './auth.js';

export type Caller = Principal;

/** What a read decision looks at: who submitted the task (null for webhook tasks). */
export type ReadableTask = Pick<TaskRecord, 'submittedBy'>;

export function callerOf(c: Context): Caller {
  return principalOf(c);
}

export function canReadTask(caller: Caller, task: ReadableTask): boolean {
  return canRead(caller, task);
}

/** The list and stats filter for this request's caller. */
export function readableBy(c: Context): (task: ReadableTask) => boolean {
  const caller = callerOf(c);
  return (task) => canReadTask(caller, task);
}
