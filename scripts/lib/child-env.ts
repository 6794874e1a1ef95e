// The environment that processes started by tests and benchmarks get: the caller's, without
// ci-fixer's own configuration. A developer's shell often exports LLM_BASE_URL, GIT_TOKEN or a
// REDIS_URL for their own ci-fixer; inherited, they would quietly turn on the model fixer, send a
// token, or point a test at that Redis, and results would depend on the shell. What a child needs
// of ours is passed to it explicitly. Also run once at vitest's start (vitest.config.ts), so tests
// that read the environment in-process see the same clean one.
import { CONFIG_DOCS } from '../../src/config.js';

/** Every variable src/config.ts reads, and whole families of ours (and the model SDK's own defaults). */
const NAMES = new Set(CONFIG_DOCS.map((d) => d.name));
const PREFIXES = ['LLM_', 'GITHUB_', 'GIT_TOKEN', 'OPENAI_'];

export function isOurConfig(name: string): boolean {
  return NAMES.has(name) || PREFIXES.some((p) => name.startsWith(p));
}

/** `env` (default: this process's) without ci-fixer's configuration; `extra` is added on top. */
export function scrubbedEnv(
  extra: Record<string, string | undefined> = {},
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) if (!isOurConfig(name)) out[name] = value;
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) out[name] = value;
  return out;
}

/**
 * Deletes ci-fixer's configuration from this process's environment, except `keep`; returns the
 * names removed (values never: they may be secrets).
 */
export function scrubProcessEnv(keep: readonly string[] = []): string[] {
  const removed = Object.keys(process.env).filter((name) => isOurConfig(name) && !keep.includes(name));
  for (const name of removed) delete process.env[name];
  return removed;
}
