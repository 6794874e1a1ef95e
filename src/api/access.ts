// The list and stats filter for a request: the tasks its token's scopes let it read (auth.ts's
// canRead, the one rule every route and console page asks), so a list, a stats window and a
// task page can never disagree about what a token sees.
import type { Context } from 'hono';
import { canRead, principalOf } from './auth.js';

export function readableBy(c: Context): (task: Parameters<typeof canRead>[1]) => boolean {
  const principal = principalOf(c);
  return (task) => canRead(principal, task);
}
