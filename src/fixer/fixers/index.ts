import type { FixerName } from '../../task.js';
import type { Failure, Fixer } from '../types.js';
import { eslintFixer } from './eslint.js';
import { npmLockfileFixer } from './npm-lockfile.js';
import { prettierFixer } from './prettier.js';

/** Every fixer, in the default order they are tried. */
export const FIXERS: readonly Fixer[] = [prettierFixer, eslintFixer, npmLockfileFixer];

/**
 * The fixers to try for a failure: those the task allows (in the task's order when it names them,
 * else the default order) whose detector recognises the failure output.
 */
export function applicableFixers(failure: Failure, allowed?: readonly FixerName[], registry: readonly Fixer[] = FIXERS): Fixer[] {
  const ordered = allowed === undefined
    ? [...registry]
    : [...new Set(allowed)].map((name) => registry.find((fixer) => fixer.name === name)).filter((f): f is Fixer => f !== undefined);
  return ordered.filter((fixer) => fixer.applies(failure));
}
