import type { FixerName } from '../../task.js';
import type { Failure, Fixer } from '../types.js';
import { generatedFixers } from './generated/index.js';
import { goFixers } from './go/index.js';
import { javascriptFixers } from './javascript/index.js';
import { otherFixers } from './other/index.js';
import { pythonFixers } from './python/index.js';
import { rustFixers } from './rust/index.js';

/** Every deterministic fixer, in the default order they are tried (a tree check's own last: it fits any ecosystem). */
export const FIXERS: readonly Fixer[] = [
  ...javascriptFixers,
  ...goFixers,
  ...pythonFixers,
  ...rustFixers,
  ...otherFixers,
  ...generatedFixers,
];

/**
 * The fixers to try for a failure: those the task allows (in the task's order when it names them,
 * else the default order) whose detector recognises the failure.
 */
export function applicableFixers(
  failure: Failure,
  allowed?: readonly FixerName[],
  registry: readonly Fixer[] = FIXERS,
): Fixer[] {
  const ordered =
    allowed === undefined
      ? [...registry]
      : [...new Set(allowed)]
          .map((name) => registry.find((fixer) => fixer.name === name))
          .filter((f): f is Fixer => f !== undefined);
  return ordered.filter((fixer) => fixer.detect(failure));
}
