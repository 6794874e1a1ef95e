// Reads a tool's invocation out of the task's shell command, so a fix runs the same tool the same
// way, with the flags and paths the check used: `poetry run black --check src` is fixed by
// `poetry run black src`, `shfmt -d -i 2 scripts/` by `shfmt -w -i 2 scripts/`. Words are kept as
// written (quotes, globs, $(...)) because they go back into the same shell.

/** Commands are bounded by the task schema; this bounds the scan regardless. */
const MAX_SCAN = 64 * 1024;
const MAX_INVOCATIONS = 8;

export interface Invocation {
  /** What runs the tool, with a trailing space when present: "poetry run ", "python3 -m ", "". */
  launcher: string;
  /** The tool as written, path included: "black", ".venv/bin/black", "clang-format-14". */
  program: string;
  args: string[];
}

// Words after which the next word is a command being run (`env X=1 black`, `xargs clang-format`).
const RUNNERS = new Set(['env', 'exec', 'time', 'nice', 'command', 'xargs', 'then', 'do', 'else', '!']);
// Launchers that pick the repository's own environment: kept in the fix command.
const LAUNCHER =
  /(?:^|\s)((?:(?:poetry|uv|pdm|hatch|pipenv|rye) run(?: --?[\w-]+(?:=\S+)?)*|python3?(?:\.\d+)? -m|pipx run|uvx|npx)\s+)$/;

/**
 * Each place the command runs the tool matched by `head` (e.g. /black\b/), with the words after
 * it up to the next unquoted shell operator (&&, ||, ;, |, &, newline, a redirection or `)`).
 */
export function invocations(command: string, head: RegExp): Invocation[] {
  const text = command.slice(0, MAX_SCAN);
  const found: Invocation[] = [];
  const re = new RegExp(String.raw`(?<![\w.-])(?:[\w./-]*/)?(?:${head.source})(?![\w.-])`, 'g');
  for (const match of text.matchAll(re)) {
    if (found.length >= MAX_INVOCATIONS) break;
    const before = text.slice(0, match.index);
    const launcher = before.match(LAUNCHER)?.[1] ?? '';
    if (launcher === '' && !isCommandWord(before)) continue;
    found.push({
      launcher: launcher.replace(/\s+$/, ' '),
      program: match[0],
      args: words(text, match.index + match[0].length),
    });
  }
  return found;
}

/** Is the match a command being run, not an argument (`pip install black`)? */
function isCommandWord(before: string): boolean {
  const trimmed = before.replace(/[ \t]+$/, ''); // a newline ends the previous command
  if (trimmed === '' || /(?:[;&|(\n`{]|\$\()$/.test(trimmed)) return true;
  const last = trimmed.slice(trimmed.search(/\S+$/));
  return RUNNERS.has(last) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(last);
}

function words(text: string, start: number): string[] {
  const out: string[] = [];
  let word = '';
  let quote: '"' | "'" | null = null;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      word += c;
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
    } else if (c === "'" || c === '"') {
      quote = c;
      word += c;
    } else if (c === '\\' && i + 1 < text.length) {
      word += c + text[++i];
    } else if (c === '$' && text[i + 1] === '(') {
      depth++;
      word += '$(';
      i++;
    } else if (depth > 0) {
      if (c === '(') depth++;
      if (c === ')') depth--;
      word += c;
    } else if (/[;&|\n)<>`]/.test(c)) {
      if (/[<>]/.test(c) && /^\d+$/.test(word)) word = ''; // the fd of `2>&1`
      break;
    } else if (/\s/.test(c)) {
      if (word !== '') out.push(word);
      word = '';
    } else {
      word += c;
    }
  }
  if (word !== '') out.push(word);
  return out;
}

/**
 * The words minus check-only flags: `drop` lists flags to remove (`--check`, `-d`),
 * `dropWithValue` those that take a value, as `--flag value` or `--flag=value`.
 */
export function withoutFlags(
  args: readonly string[],
  drop: readonly string[],
  dropWithValue: readonly string[] = [],
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const name = arg.split('=')[0]!;
    if (drop.includes(arg)) continue;
    if (dropWithValue.includes(name)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** The command's invocations of the tool, or `fallback` when it never names the tool (`make lint`). */
export function invocationsOr(command: string, head: RegExp, fallback: Invocation): Invocation[] {
  const found = invocations(command, head);
  return found.length === 0 ? [fallback] : found;
}
