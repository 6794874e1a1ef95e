import type { Fixer } from '../../types.js';
import { cleanLines } from '../../diagnosis/index.js';
import { invocations, withoutFlags } from '../invocation.js';
import { runNodeTool } from './project.js';

// A diagnostic `biome check --write` repairs: a formatting difference, organised imports, or a
// lint rule whose fix biome calls safe ("i Safe fix: ..." under a "path:line:col lint/... FIXABLE"
// header; unsafe fixes need --unsafe, which can change behaviour and is left to a person).
// Biome colours its output in CI, so the signature is read on the cleaned lines.
const FORMAT = /^\S+(?::\d+:\d+)? (?:format|organizeImports|assist\/\S+)(?:\s+FIXABLE)?\s+━/;
const LINT_FIXABLE = /^\S+:\d+:\d+ lint\/\S+\s+FIXABLE\s+━/;
const HEADER = /^\S+ \S+.*━━━/;
const SAFE_FIX = /^\s+[iℹ] Safe fix: /;
const FAILED = /Some errors were emitted while running checks|^Found \d+ errors?\./;

export function biomeWritable(output: string): boolean {
  let writable = false;
  let failed = false;
  let inFixableLint = false;
  for (const line of cleanLines(output)) {
    if (HEADER.test(line)) {
      inFixableLint = LINT_FIXABLE.test(line);
      if (FORMAT.test(line)) writable = true;
    } else if (inFixableLint && SAFE_FIX.test(line)) writable = true;
    if (!failed && FAILED.test(line.trim())) failed = true;
  }
  return writable && failed;
}

// `biome format` / `biome lint` checks get the same command with --write; check and ci get check --write.
const SUBCOMMAND = /\bbiome(?:@[\w.^~-]+)?\s+(format|lint|check|ci)\b/;
const BIOME = /(?:@biomejs\/)?biome(?:@[\w.^~-]+)?\s+(?:format|lint|check|ci)/;
// Flags that shape only the check's report or verdict.
const REPORT_ONLY = ['--write', '--fix', '--apply', '--error-on-warnings', '--colors=off', '--colors=force'];
const REPORT_VALUED = ['--reporter', '--max-diagnostics', '--diagnostic-level', '--log-level', '--colors'];

/**
 * The write command matching the failing check, so the fix changes no more than the check asked
 * for: its subcommand, paths and flags (`biome lint src` -> `lint --write src`). Pure.
 */
export function biomeWriteArgs(command: string): string {
  const sub = SUBCOMMAND.exec(command)?.[1];
  const write = sub === 'format' || sub === 'lint' ? `${sub} --write` : 'check --write';
  const found = [...new Set(invocations(command, BIOME).map((inv) => inv.args.join(' ')))];
  if (found.length !== 1) return `${write} .`;
  const kept = withoutFlags(
    found[0]!.split(' ').filter((w) => w !== ''),
    REPORT_ONLY,
    REPORT_VALUED,
  );
  const paths = kept.some((w) => !w.startsWith('-')) ? [] : ['.'];
  return [write, ...kept, ...paths].join(' ');
}

export const biomeFixer: Fixer = {
  name: 'biome',
  ecosystem: 'javascript',
  // Not when biome could not parse a file (diagnosed as a build failure): nothing gets written then.
  detect: ({ diagnosis, output }) =>
    !(diagnosis.tool === 'biome' && diagnosis.category === 'build') && biomeWritable(output),
  // --write applies formatting, import sorting and the safe lint fixes; never --unsafe: an unsafe
  // fix can change behaviour, and is left to a person.
  apply: (ctx) => runNodeTool(ctx, { pkg: '@biomejs/biome', bin: 'biome' }, biomeWriteArgs(ctx.failure.command)),
};
