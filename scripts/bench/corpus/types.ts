// One broken repository of the bench:fix corpus: a builder for its files, the CI-like command
// (chained, as real workflows are) and what ci-fixer should make of it.
import path from 'node:path';
import { commitRepo, type FileMap, type FixtureRepo, writeFiles } from '../../lib/git-fixtures.js';
import type { Ecosystem } from '../../../src/fixer/types.js';
import type { FailureCategory, FixerName, Outcome } from '../../../src/task.js';

export interface BenchCase {
  /** Unique; `<ecosystem prefix>-<what>`. */
  name: string;
  ecosystem: Exclude<Ecosystem, 'other'>;
  /** The failure as a person would file it; `green` when the command already passes. */
  category: FailureCategory | 'green';
  command: string;
  /** Builds the repository's files (the case's own small builder). */
  files: () => FileMap;
  expect: {
    outcome: Outcome;
    /** The fixers a `fixed` result should list (in any order). */
    fixers?: FixerName[];
  };
  /** No deterministic tool can fix this one (a logic bug, a type error that needs thought): the
   * model-backed fixer's cases (issue 10), `not_fixed` without it. */
  needsModel?: true;
  /** For `bench:fix --model --fake`: the edit a competent model would make (never to a test
   * file), which the scripted endpoint plays as an edit_file call, then finish. A model-needed case
   * without one gets a scripted give-up. */
  modelFix?: ModelFix;
  /** The tool the fix (or the check) needs is absent here on purpose: `not_fixed`, saying so. */
  toolMissing?: true;
  /** Files the repository gets before its commit, besides `files` (a lock file resolved by npm). */
  prepare?: (dir: string) => Promise<void>;
  /** The files a fix may touch, when the failure's own output does not name them all. */
  patchFiles?: string[];
}

/** One edit_file replacement: `old_string` occurs exactly once in `path` of the case's files. */
export interface ModelFix {
  path: string;
  old_string: string;
  new_string: string;
}

export type CaseKind = 'one-fixer' | 'two-fixers' | 'needs-model' | 'green' | 'tool-missing';

export function kindOf(c: BenchCase): CaseKind {
  if (c.category === 'green') return 'green';
  if (c.toolMissing) return 'tool-missing';
  if (c.needsModel) return 'needs-model';
  return (c.expect.fixers?.length ?? 0) > 1 ? 'two-fixers' : 'one-fixer';
}

/** The case's repository in `parent/<name>`, one commit on main. */
export async function buildCase(parent: string, c: BenchCase): Promise<FixtureRepo> {
  const dir = path.join(parent, c.name);
  if (c.prepare === undefined) return commitRepo(dir, c.files(), c.command, `bench case: ${c.name}`);
  await writeFiles(dir, c.files());
  await c.prepare(dir);
  return commitRepo(dir, {}, c.command, `bench case: ${c.name}`);
}

export const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
