// Per-request variables every API handler can rely on.
import type { RequestIdVariables } from 'hono/request-id';
import type { Logger } from '../logger.js';

export interface AppEnv {
  Variables: RequestIdVariables & {
    /** The API logger bound to this request's id. */
    log: Logger;
  };
}
