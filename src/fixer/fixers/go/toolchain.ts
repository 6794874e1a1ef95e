// The Go a repository pins: go.mod's `go` line (and `toolchain` line). The go command itself
// enforces it: with GOTOOLCHAIN=auto it fetches the pinned toolchain, with GOTOOLCHAIN=local it
// refuses to work on the module. Fixers ask it first, so that refusal becomes a clear outcome
// instead of a fix command that fails for a reason the log buries.
import { TOOLCHAIN_NEWER } from '../../diagnosis/go.js';
import { shellQuote } from '../../../shared/shell.js';
import type { FixerContext, FixerOutcome } from '../../types.js';
import { invocations } from '../invocation.js';

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

/**
 * The layout flags the check ran the formatter with, to run it again with -w: gofmt's `-s` and
 * `-r rule`, goimports' `-local x` and `-format-only`. Listing and diff flags are the check's only.
 * Pure; `head` matches the tool's name in the command.
 */
export function checkFlags(command: string, head: RegExp): string[] {
  const flags: string[] = [];
  for (const inv of invocations(command, head)) {
    for (let i = 0; i < inv.args.length; i++) {
      const arg = inv.args[i]!;
      const name = arg.replace(/^--?/, '-').split('=')[0]!;
      if (name === '-s' || name === '-format-only') flags.push(name);
      else if ((name === '-r' || name === '-local') && arg.includes('='))
        flags.push(name, arg.slice(arg.indexOf('=') + 1));
      else if ((name === '-r' || name === '-local') && i + 1 < inv.args.length) flags.push(name, inv.args[++i]!);
    }
  }
  // One set of flags: each flag once, in the order the command gave them.
  const out: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const takesValue = flags[i] === '-r' || flags[i] === '-local';
    const word = takesValue ? `${flags[i]} ${flags[i + 1]}` : flags[i]!;
    if (!out.includes(word)) out.push(word);
    if (takesValue) i++;
  }
  return out;
}

/** The check's own paths: the words after its flags (`gofmt -s -l ./cmd ./pkg` -> ./cmd ./pkg). Pure. */
export function checkPaths(command: string, head: RegExp): string[] {
  const paths: string[] = [];
  for (const inv of invocations(command, head)) {
    for (let i = 0; i < inv.args.length; i++) {
      const arg = inv.args[i]!;
      if (/^--?(?:r|local|srcdir)$/.test(arg)) i++;
      else if (!arg.startsWith('-') && !paths.includes(arg)) paths.push(arg);
    }
  }
  return paths;
}

/**
 * The files a formatter check named (from the diagnosis), else the paths the check itself gave,
 * else the whole tree as `gofmt -l .` sees it.
 */
export function formatTargets(ctx: FixerContext, head?: RegExp): string {
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
  if (files.length > 0) return files.map(shellQuote).join(' ');
  const paths = head ? checkPaths(ctx.failure.command, head) : [];
  // Words go back into the same shell as the check wrote them (quotes, globs, $(...)).
  return paths.length > 0 ? paths.join(' ') : '.';
}
