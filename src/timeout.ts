// One way to bound a promise, so every caller that waits on the network gives up the same way.
import { InfrastructureError } from './errors.js';

/**
 * Settles like `promise`, or rejects with an InfrastructureError (code `timeout`) after `ms`.
 * The underlying operation is not cancelled; callers bound only their own wait.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InfrastructureError('timeout', `${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
