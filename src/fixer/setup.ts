// The repository's install steps (.ci-fixer.yml `setup`), run before the command in the work
// sandbox and again before the proof's run on a fresh checkout.
import { TaskError } from '../errors.js';
import type { TaskSpec } from '../task.js';
import { REPO_DIR } from './git.js';
import type { CommandRunner } from './runner.js';

/** A failing step is the task's error, not a failure to fix. */
export async function runSetup(spec: Pick<TaskSpec, 'setup'>, runner: CommandRunner): Promise<void> {
  for (const [index, step] of (spec.setup ?? []).entries()) {
    const setup = await runner.run(step, { cwd: REPO_DIR });
    if (setup.exitCode !== 0)
      throw new TaskError('setup_failed', `setup step ${index + 1} failed with exit code ${setup.exitCode}: ${step}`);
  }
}
