// A repository that vendors its formatter: node_modules/prettier (and its .bin link) committed,
// pinned in package.json's devDependencies, no node_modules/ in .gitignore. Sandboxes on the real
// node have no DNS (the test cluster runs none), so `npx prettier` must find prettier in the
// checkout rather than download it; vendoring is a real repository layout that gives it that.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BADLY_FORMATTED_JS, commitRepo, type FixtureRepo } from '../../scripts/lib/git-fixtures.js';
import { scrubbedEnv } from '../../scripts/lib/child-env.js';

const run = promisify(execFile);
/** The version npm installs into the repository (from the host's npm cache when it has it). */
export const VENDORED_PRETTIER = '3.10.1';

/** Creates the repository in `dir` with one commit on main; its `command` is `npx prettier --check .`. */
export async function createVendoredPrettierRepo(dir: string): Promise<FixtureRepo> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: 'vendored-prettier-demo', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  // No lockfile: the check would format npm's lockfile too, and the fix is about src/ only.
  await run(
    'npm',
    [
      'install',
      '--save-dev',
      '--save-exact',
      '--no-package-lock',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      `prettier@${VENDORED_PRETTIER}`,
    ],
    {
      cwd: dir,
      timeout: 120_000,
      env: scrubbedEnv({ npm_config_update_notifier: 'false' }),
    },
  );
  return commitRepo(dir, { 'src/greet.js': BADLY_FORMATTED_JS }, 'npx prettier --check .', 'demo: vendored prettier');
}
