// The shape most python, rust and "other" fixers share: recognise the tool's failure with its own
// recognizer, find how the command ran the tool, and run it again in its writing mode. A tool the
// sandbox lacks is an outcome with the line a user needs, never a throw.
import type { FixerName } from '../../task.js';
import { cleanLines } from '../diagnosis/index.js';
import { shellQuote } from '../../shared/shell.js';
import type { Recognition, Recognizer } from '../diagnosis/types.js';
import type { Ecosystem, Failure, Fixer, FixerContext, FixerOutcome } from '../types.js';
import { invocationsOr, type Invocation } from './invocation.js';

export function toolMissing(tool: string): FixerOutcome {
  return { status: 'tool_missing', message: `${tool} not found: add it to setup in .ci-fixer.yml` };
}

/** Runs `recognizer` on the failure's own output: a fixer sees its tool even when another tool's diagnosis won. */
export function recognise(recognizer: Recognizer, failure: Failure): Recognition | null {
  try {
    return recognizer.recognize({
      command: failure.command,
      lines: cleanLines(failure.output),
      exitCode: failure.exitCode,
    });
  } catch {
    return null;
  }
}

/** The command word whose absence means the tool is missing: the launcher's (`poetry run …`) or the tool's own. */
export function commandWord(inv: Pick<Invocation, 'launcher' | 'program'>): string {
  return (inv.launcher.trim() || inv.program).split(/\s+/)[0]!;
}

export interface ToolFixerSpec {
  name: FixerName;
  ecosystem: Ecosystem;
  /** As named in the tool-missing message ("black"). */
  tool: string;
  recognizer: Recognizer;
  /** Which recognitions this fixer repairs (e.g. only ruff's lint failures, not its format ones). */
  repairs(recognition: Recognition): boolean;
  /** Matches the tool's invocation in the command (its name and subcommand). */
  head: RegExp;
  /** The writing form of one invocation of the check. */
  fix(inv: Invocation, ctx: FixerContext, recognition: Recognition): string | null;
  /** When the command never names the tool (`make lint`). */
  fallback: Invocation;
  /**
   * The tool takes a list of files (these): when the command never names the tool, the files its
   * output named replace the fallback's paths, so the fix touches no more than the check flagged.
   */
  files?: RegExp;
  /** An extra check that the tool can run (`cargo fmt --version`: cargo without rustfmt), per invocation. */
  probe?: (inv: Invocation) => string | null;
}

export function toolFixer(spec: ToolFixerSpec): Fixer {
  return {
    name: spec.name,
    ecosystem: spec.ecosystem,
    detect(failure) {
      const found = recognise(spec.recognizer, failure);
      return found !== null && spec.repairs(found);
    },
    async apply(ctx) {
      const recognition = recognise(spec.recognizer, ctx.failure);
      if (recognition === null)
        return { status: 'skipped', message: `${spec.name}: the failure is not ${spec.tool}'s` };
      const commands: string[] = [];
      const missing = new Set<string>();
      for (const built of invocationsOr(ctx.failure.command, spec.head, fallbackFor(spec, recognition))) {
        const word = commandWord(built);
        if (missing.has(word) || !(await ctx.hasCommand(word))) {
          missing.add(word);
          continue;
        }
        const probe = spec.probe?.(built) ?? null;
        if (probe !== null && (await ctx.run(probe)).exitCode !== 0) return toolMissing(spec.tool);
        const command = spec.fix(built, ctx, recognition);
        if (command !== null) commands.push(command);
      }
      // Named as the command that is missing: "black", or the launcher ("poetry") or driver ("cargo").
      if (commands.length === 0 && missing.size > 0) return toolMissing([...missing][0]!.split('/').pop()!);
      if (commands.length === 0) return { status: 'skipped', message: `${spec.name}: nothing to run` };
      // A non-zero exit usually means problems the tool cannot fix remain; the verify step decides.
      for (const command of [...new Set(commands)]) await ctx.run(command);
      return { status: 'applied' };
    },
  };
}

/** The fallback invocation, on the files the tool's output named when it takes a file list. Pure. */
export function fallbackFor(spec: Pick<ToolFixerSpec, 'fallback' | 'files'>, recognition: Recognition): Invocation {
  const pattern = spec.files;
  if (pattern === undefined) return spec.fallback;
  const named = [...new Set(recognition.locations.map((l) => l.path))].filter(
    (p) => pattern.test(p) && !p.startsWith('-'),
  );
  if (named.length === 0) return spec.fallback;
  return { ...spec.fallback, args: [...spec.fallback.args.filter((a) => a.startsWith('-')), ...named.map(shellQuote)] };
}

/** Joins a fix command's parts, dropping empty ones. */
export function commandLine(...parts: Array<string | readonly string[]>): string {
  return parts
    .flat()
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .join(' ');
}
