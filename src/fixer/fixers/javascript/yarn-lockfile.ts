import type { Fixer, FixerContext, FixerOutcome } from '../../types.js';
import { shellQuote } from '../../../shared/shell.js';
import { packageManager, parsePackageJson, toolMissing } from './project.js';

// yarn 1: "error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`."
const CLASSIC_FROZEN = /Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`/;
// yarn 2+ (berry): "YN0028: │ The lockfile would have been modified by this install, which is explicitly forbidden."
const BERRY_IMMUTABLE =
  /YN0028: .{0,40}The lockfile would have been modified by this install, which is explicitly forbidden/;

export type YarnKind = 'classic' | 'berry';

/** Which yarn a repository uses: its packageManager pin, else its lock file's format, else the message's. */
export function yarnKind(pinnedMajor: number | null, lockfile: string | null, output: string): YarnKind {
  if (pinnedMajor !== null) return pinnedMajor >= 2 ? 'berry' : 'classic';
  if (lockfile !== null) return /^__metadata:/m.test(lockfile) ? 'berry' : 'classic';
  return BERRY_IMMUTABLE.test(output) ? 'berry' : 'classic';
}

/**
 * How to run the repository's yarn: a checked-in release (.yarnrc.yml yarnPath), the pinned
 * version from npm (yarn 1 is the package `yarn`, berry is `@yarnpkg/cli-dist`), else yarn on
 * PATH, else the latest of its kind from npm. Null: no way to run it.
 */
export function yarnCommand(
  kind: YarnKind,
  facts: { yarnPath: string | null; version: string | null; onPath: boolean; hasNpx: boolean },
): string | null {
  if (facts.yarnPath !== null) return `node ${shellQuote(facts.yarnPath)}`;
  const pkg = kind === 'berry' ? '@yarnpkg/cli-dist' : 'yarn';
  if (facts.version !== null && facts.hasNpx) return `npx ${pkg}@${facts.version}`;
  if (facts.onPath && kind === 'classic') return 'yarn'; // a global yarn is usually 1.x; for berry it would need yarnPath
  if (facts.hasNpx) return kind === 'berry' ? `npx ${pkg}` : 'npx yarn@1';
  return facts.onPath ? 'yarn' : null;
}

export function yarnPathOf(yarnrc: string | null): string | null {
  const match = /^yarnPath:\s*["']?([^"'\s#]+)["']?\s*$/m.exec(yarnrc ?? '');
  return match && !match[1]!.startsWith('/') && !match[1]!.includes('..') ? (match[1] as string) : null;
}

async function apply(ctx: FixerContext): Promise<FixerOutcome> {
  const pinned = packageManager(parsePackageJson(await ctx.readFile('package.json')));
  const version = pinned?.name === 'yarn' ? pinned.version : null;
  const kind = yarnKind(
    version === null ? null : Number(version.split('.')[0]),
    await ctx.readFile('yarn.lock'),
    ctx.failure.output,
  );
  const yarnPath = kind === 'berry' ? yarnPathOf(await ctx.readFile('.yarnrc.yml')) : null;
  const yarn = yarnCommand(kind, {
    yarnPath,
    version,
    onPath: await ctx.hasCommand('yarn'),
    hasNpx: await ctx.hasCommand('npx'),
  });
  if (yarn === null) return toolMissing('yarn');
  // berry: update the lock file only, with immutable installs (its CI default) turned off.
  // yarn 1 has no lock-only mode: it installs too, without running any install script.
  const command =
    kind === 'berry'
      ? `${yarn} install --mode=update-lockfile --no-immutable`
      : `${yarn} install --ignore-scripts --non-interactive --no-progress`;
  const result = await ctx.run(command, { env: kind === 'berry' ? { YARN_ENABLE_IMMUTABLE_INSTALLS: 'false' } : {} });
  if (result.exitCode === 127) return toolMissing('yarn');
  return { status: 'applied' };
}

export const yarnLockfileFixer: Fixer = {
  name: 'yarn-lockfile',
  ecosystem: 'javascript',
  detect: ({ output }) => CLASSIC_FROZEN.test(output) || BERRY_IMMUTABLE.test(output),
  apply,
};
