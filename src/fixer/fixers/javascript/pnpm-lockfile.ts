import type { Fixer } from '../../types.js';
import { packageManager, parsePackageJson, toolMissing } from './project.js';

// pnpm 8-10: " ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml
// is not up to date with package.json"; pnpm 11+: "Error: ERR_PNPM_OUTDATED_LOCKFILE" with the reason below.
// pnpm 11+ with a packageManager pin: ERR_PNPM_FROZEN_LOCKFILE_WITH_OUTDATED_LOCKFILE.
const OUTDATED = /ERR_PNPM_(?:OUTDATED_LOCKFILE|FROZEN_LOCKFILE_WITH_OUTDATED_LOCKFILE)\b/;

// Without a packageManager pin, the newest pnpm that writes the lock file's format.
const PNPM_FOR_LOCKFILE: Record<string, string> = { '5.4': '7', '6.0': '8', '9.0': '10' };

export function pnpmVersionForLockfile(lockfile: string | null): string | null {
  const match = /^lockfileVersion:\s*'?([\d.]+)'?\s*$/m.exec(lockfile ?? '');
  return match ? (PNPM_FOR_LOCKFILE[match[1] as string] ?? null) : null;
}

/** The repository's pinned pnpm through npx, else pnpm on PATH, else npx with the lock file's pnpm. Null: none. */
export function pnpmCommand(facts: {
  pinned: string | null;
  forLockfile: string | null;
  onPath: boolean;
  hasNpx: boolean;
}): string | null {
  if (facts.pinned !== null && facts.hasNpx) return `npx pnpm@${facts.pinned}`;
  if (facts.onPath) return 'pnpm';
  if (facts.hasNpx) return facts.forLockfile === null ? 'npx pnpm' : `npx pnpm@${facts.forLockfile}`;
  return null;
}

export const pnpmLockfileFixer: Fixer = {
  name: 'pnpm-lockfile',
  ecosystem: 'javascript',
  detect: ({ output }) => OUTDATED.test(output),
  async apply(ctx) {
    const pm = packageManager(parsePackageJson(await ctx.readFile('package.json')));
    const pnpm = pnpmCommand({
      pinned: pm?.name === 'pnpm' ? pm.version : null,
      forLockfile: pnpmVersionForLockfile(await ctx.readFile('pnpm-lock.yaml')),
      onPath: await ctx.hasCommand('pnpm'),
      hasNpx: await ctx.hasCommand('npx'),
    });
    if (pnpm === null) return toolMissing('pnpm');
    // The lock file only; CI=true makes pnpm default to a frozen lock file, so say otherwise.
    const result = await ctx.run(`${pnpm} install --lockfile-only --no-frozen-lockfile --ignore-scripts`);
    if (result.exitCode === 127) return toolMissing('pnpm');
    return { status: 'applied' };
  },
};
