// How the failing step ran a Node tool, read through package.json scripts (`npm run lint` ->
// `eslint ./src --ext .ts`), so the fix runs the same tool on the same paths with the same flags
// and files the check never looked at stay as they are.
import { expandScripts } from '../../diagnosis/command-tools.js';
import type { FixerContext } from '../../types.js';
import { type Invocation, invocations } from '../invocation.js';

/** The package.json scripts of the folder the step runs in; none when it is absent or broken. */
export async function packageScripts(ctx: FixerContext): Promise<Record<string, string> | undefined> {
  try {
    const parsed = JSON.parse((await ctx.readFile('package.json')) ?? '{}') as { scripts?: unknown };
    if (typeof parsed.scripts !== 'object' || parsed.scripts === null) return undefined;
    return Object.fromEntries(
      Object.entries(parsed.scripts).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  } catch {
    return undefined; // a broken package.json is the check's to report
  }
}

/** Each run of the tool matched by `head` in the failing step and the scripts it calls. */
export async function checkInvocations(ctx: FixerContext, head: RegExp): Promise<Invocation[]> {
  const scripts = await packageScripts(ctx);
  return expandScripts(ctx.failure.command, scripts).flatMap((text) => invocations(text, head));
}

/** Whether the words name a path (anything but flags and the values of `valued` flags). Pure. */
export function hasPath(words: readonly string[], valued: ReadonlySet<string>): boolean {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (valued.has(word)) i++;
    else if (!word.startsWith('-')) return true;
  }
  return false;
}

/** The files the diagnosis named, relative to the folder the step ran in (where the fix runs). */
export function namedFiles(ctx: FixerContext, extension: RegExp): string[] {
  const cwd = ctx.failure.cwd ?? '';
  return [
    ...new Set(
      ctx.failure.diagnosis.locations
        .map((l) => l.path)
        .filter((p) => p.startsWith(cwd))
        .map((p) => p.slice(cwd.length)),
    ),
  ].filter((p) => extension.test(p) && !p.startsWith('-'));
}
