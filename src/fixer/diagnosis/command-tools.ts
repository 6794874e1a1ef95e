// The tool a step runs, read from its command: for checks that print nothing of their own
// (`test -z "$(gofmt -l .)"`), and for `npm run X` / `yarn X` / `pnpm X` through package.json.
import type { DiagnosisTool, FailureCategory } from '../../task.js';
import type { Recognizer } from './types.js';

/** What failing means for each tool, when only the command names it. */
export const TOOL_CATEGORY: Record<DiagnosisTool, FailureCategory> = {
  prettier: 'format',
  eslint: 'lint',
  biome: 'lint',
  tsc: 'type',
  'node-test': 'test',
  jest: 'test',
  vitest: 'test',
  mocha: 'test',
  npm: 'dependency',
  yarn: 'dependency',
  pnpm: 'dependency',
  pytest: 'test',
  mypy: 'type',
  ruff: 'lint',
  black: 'format',
  isort: 'format',
  poetry: 'dependency',
  uv: 'dependency',
  'go-build': 'build',
  'go-vet': 'lint',
  'go-test': 'test',
  gofmt: 'format',
  goimports: 'format',
  'go-mod': 'dependency',
  'cargo-build': 'build',
  'cargo-test': 'test',
  'cargo-fmt': 'format',
  clippy: 'lint',
  terraform: 'format',
  shfmt: 'format',
  'clang-format': 'format',
  'git-diff': 'generated',
  unknown: 'unknown',
};

const MAX_SCRIPT_DEPTH = 3;
const MAX_EXPANDED_CHARS = 8192;
// `npm test`, `npm run lint`, `yarn lint`, `yarn run lint`, `pnpm lint`, `bun run lint`.
const SCRIPT_CALL =
  /(?:^|[\s;&|(])(npm|yarn|pnpm|bun)\s+(?:(?:run|run-script)\s+)?(?:--?[\w-]+(?:=\S+)?\s+)*([\w:.@/-]+)/g;
const NPM_ALIASES: Record<string, string> = { t: 'test', tst: 'test' };

/**
 * Pure: the command followed by the package.json scripts it calls (recursively, bounded), so a
 * command pattern can see through `npm run lint` to `eslint .`. The deepest text comes first.
 */
export function expandScripts(command: string, scripts?: Readonly<Record<string, string>>): string[] {
  const texts: string[] = [command];
  if (!scripts) return texts;
  let frontier = [command];
  let total = command.length;
  const seen = new Set<string>();
  for (let depth = 0; depth < MAX_SCRIPT_DEPTH && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const text of frontier) {
      for (const name of calledScripts(text)) {
        const body = Object.hasOwn(scripts, name) ? scripts[name] : undefined;
        if (typeof body !== 'string' || seen.has(name) || total + body.length > MAX_EXPANDED_CHARS) continue;
        seen.add(name);
        total += body.length;
        next.push(body);
      }
    }
    texts.unshift(...next.reverse());
    frontier = next;
  }
  return texts;
}

/** The package.json script names a command text calls (`npm run x`, `npm test`, `yarn x`, …). */
function* calledScripts(text: string): Generator<string> {
  for (const match of text.matchAll(SCRIPT_CALL)) {
    const raw = match[2] as string;
    yield match[1] === 'npm' ? (NPM_ALIASES[raw] ?? raw) : raw;
  }
}

/**
 * Pure: the names of the package.json scripts the command runs, directly or through other
 * scripts, with their npm `pre`/`post` hooks: what a fix may not rewrite (src/fixer/guard/).
 */
export function reachedScriptNames(command: string, scripts: Readonly<Record<string, string>>): Set<string> {
  const reached = new Set<string>();
  const has = (name: string) => Object.hasOwn(scripts, name);
  let frontier = [command];
  for (let depth = 0; depth < MAX_SCRIPT_DEPTH && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const text of frontier) {
      for (const name of calledScripts(text)) {
        for (const hooked of [name, `pre${name}`, `post${name}`]) {
          if (!has(hooked) || reached.has(hooked)) continue;
          reached.add(hooked);
          next.push(scripts[hooked] as string);
        }
      }
    }
    frontier = next;
  }
  return reached;
}

/** The recognizer whose command pattern matches first, in the deepest text that names one. */
export function toolFromCommand(texts: readonly string[], recognizers: readonly Recognizer[]): DiagnosisTool | null {
  for (const text of texts) {
    let best: { tool: DiagnosisTool; at: number } | null = null;
    for (const recognizer of recognizers) {
      const pattern = recognizer.commandPattern;
      if (!pattern) continue;
      const at = text.search(new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')));
      if (at >= 0 && (best === null || at < best.at)) best = { tool: recognizer.tool, at };
    }
    if (best) return best.tool;
  }
  return null;
}
