// Per-request variables every API handler can rely on.
import type { RequestIdVariables } from 'hono/request-id';
import type { Logger } from '../logger.js';
import type { Principal } from './auth.js';

export interface AppEnv {
  Variables: RequestIdVariables & {
    /** The API logger bound to this request's id. */
    log: Logger;
    /** The authenticated caller (set by bearerTokens on authenticated routes). */
    principal: Principal;
  };
}
