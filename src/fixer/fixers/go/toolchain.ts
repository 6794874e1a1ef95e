// The Go a repository pins: go.mod's `go` line (and `toolchain` line). The go command itself
// enforces it: with GOTOOLCHAIN=auto it fetches the pinned toolchain, with GOTOOLCHAIN=local it
// refuses to work on the module. Fixers ask it first, so that refusal becomes a clear outcome
// instead of a fix command that fails for a reason the log buries.
import { TOOLCHAIN_NEWER } from '../../diagnosis/go.js';
import { shellQuote } from '../../../shared/shell.js';
import type { FixerContext, FixerOutcome } from '../../types.js';

export function notFound(tool: string, hint = ''): FixerOutcome {
  return { status: 'tool_missing', message: `${tool} not found: add it to setup in .ci-fixer.yml${hint}` };
}

/**
 * Null when go runs this module with the Go its go.mod asks for, else the outcome to return.
 * `go list -m` reads only go.mod, so it answers even when the module graph is broken.
 */
export async function goToolchainProblem(ctx: FixerContext): Promise<FixerOutcome | null> {
  if (!(await ctx.hasCommand('go'))) return notFound('go');
  if ((await ctx.readFile('go.mod')) === null) return null;
  const probe = await ctx.run('go list -m');
  if (probe.exitCode === 0) return null;
  const refusal = probe.output.split('\n').find((line) => TOOLCHAIN_NEWER.test(line));
  if (refusal === undefined) return null; // some other module problem: the fix command meets it and logs it
  const wanted =
    /requires go >= (\S+)/.exec(refusal)?.[1] ?? /download (go\S+)/.exec(refusal)?.[1] ?? 'the Go that go.mod pins';
  return notFound(`go ${wanted}`, ` (go.mod pins it; ${refusal.trim()})`);
}

/** The files a formatter check named (from the diagnosis), else the whole tree as `gofmt -l .` sees it. */
export function formatTargets(ctx: FixerContext): string {
  // Locations are repository-relative; the fix runs in the failing step's folder.
  const cwd = ctx.failure.cwd ?? '';
  const files = [
    ...new Set(
      ctx.failure.diagnosis.locations
        .map((l) => l.path)
        .filter((p) => p.startsWith(cwd))
        .map((p) => p.slice(cwd.length)),
    ),
  ].filter((p) => /\.go$/.test(p) && !p.startsWith('-'));
  return files.length > 0 ? files.map(shellQuote).join(' ') : '.';
}
