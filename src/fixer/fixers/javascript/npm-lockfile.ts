import type { Fixer } from '../../types.js';
import { packageManager, parsePackageJson, toolMissing } from './project.js';

// npm >= 7: "`npm ci` can only install packages when your package.json and package-lock.json or
// npm-shrinkwrap.json are in sync."; npm 6 said the same after "cipm".
const OUT_OF_SYNC =
  /can only install packages when your package\.json and (?:package-lock\.json|npm-shrinkwrap\.json)(?: or npm-shrinkwrap\.json)? are in sync/i;

export const npmLockfileFixer: Fixer = {
  name: 'npm-lockfile',
  ecosystem: 'javascript',
  detect: (failure) => OUT_OF_SYNC.test(failure.output),
  async apply(ctx) {
    // The npm the repository pins (packageManager: npm@x), else the sandbox's own.
    const pinned = packageManager(parsePackageJson(await ctx.readFile('package.json')));
    const npm = pinned?.name === 'npm' && (await ctx.hasCommand('npx')) ? `npx npm@${pinned.version}` : 'npm';
    if (npm === 'npm' && !(await ctx.hasCommand('npm'))) return toolMissing('npm');
    // Only the lock file is rewritten; no package is installed and no install script runs.
    await ctx.run(`${npm} install --package-lock-only --ignore-scripts --no-audit --no-fund`);
    return { status: 'applied' };
  },
};
