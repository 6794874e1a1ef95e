// What a repository pins for its JavaScript tools: package.json's packageManager and
// devDependencies, the lock files, node_modules/.bin. Parsing is pure; reading goes through the
// fixer context (the sandbox).
import { shellQuote } from '../../../shared/shell.js';
import type { FixerContext } from '../../types.js';

export interface PackageJson {
  packageManager?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export function parsePackageJson(text: string | null): PackageJson {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    const record = value as Record<string, unknown>;
    const strings = (v: unknown): Record<string, string> | undefined =>
      typeof v === 'object' && v !== null && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'))
        : undefined;
    return {
      ...(typeof record.packageManager === 'string' ? { packageManager: record.packageManager } : {}),
      ...(strings(record.dependencies) ? { dependencies: strings(record.dependencies) } : {}),
      ...(strings(record.devDependencies) ? { devDependencies: strings(record.devDependencies) } : {}),
    };
  } catch {
    return {}; // a broken package.json is the CI's problem to report, not the fixer's
  }
}

// A registry version or range npx can install: "3.3.3", "^3.1.0", "~2.0", ">=9 <10". Not "file:",
// "workspace:", "catalog:", "npm:" aliases, git or URLs.
const REGISTRY_SPEC = /^[~^<>=v\d][\w.\-+ <>=|~^*]*$/;

/** The version a repository pins for `pkg` (devDependencies first), when npx can install it. */
export function pinnedVersion(pkg: PackageJson, name: string): string | null {
  const spec = pkg.devDependencies?.[name] ?? pkg.dependencies?.[name];
  return spec !== undefined && spec.length <= 64 && REGISTRY_SPEC.test(spec.trim()) ? spec.trim() : null;
}

/** `packageManager: "pnpm@9.15.0+sha512.…"` -> { name: 'pnpm', version: '9.15.0' }. */
export function packageManager(pkg: PackageJson): { name: string; version: string } | null {
  const match = /^(npm|yarn|pnpm|bun)@(\d+\.\d+\.\d+[\w.-]*)(?:\+.*)?$/.exec(pkg.packageManager?.trim() ?? '');
  return match ? { name: match[1] as string, version: match[2] as string } : null;
}

/** The version the failing command itself ran, e.g. `npx prettier@3.3.3 --check .` -> 3.3.3. */
export function versionInCommand(command: string, name: string): string | null {
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const match = new RegExp(`(?:^|[\\s;&|(])${escaped}@([\\w.^~<>=-]{1,40})(?=$|[\\s;&|)])`).exec(command);
  return match ? (match[1] as string) : null;
}

/** Facts about one tool in the sandbox, gathered by `toolFacts`, decided on by `toolCommand`. */
export interface ToolFacts {
  /** The bin in the repository's node_modules/.bin, when it is there. */
  localBin: string | null;
  /** The version to run: from the failing command, else the repository's pin. */
  version: string | null;
  onPath: boolean;
  hasNpx: boolean;
}

export interface NodeTool {
  /** The npm package, e.g. '@biomejs/biome'. */
  pkg: string;
  /** Its executable, e.g. 'biome'. */
  bin: string;
}

/**
 * The command prefix that runs the repository's own tool: its installed bin, else the pinned
 * version through npx, else the tool on PATH, else the latest through npx. Null: the tool is missing.
 */
export function toolCommand(tool: NodeTool, facts: ToolFacts): string | null {
  if (facts.localBin !== null) return facts.localBin;
  if (facts.version !== null && facts.hasNpx) return `npx ${shellQuote(`${tool.pkg}@${facts.version}`)}`;
  if (facts.onPath) return tool.bin;
  if (facts.hasNpx) return `npx ${tool.pkg}`;
  return null;
}

export async function toolFacts(ctx: FixerContext, tool: NodeTool, pkg: PackageJson): Promise<ToolFacts> {
  const localBin = `./node_modules/.bin/${tool.bin}`;
  const version = versionInCommand(ctx.failure.command, tool.pkg) ?? pinnedVersion(pkg, tool.pkg);
  if ((await ctx.run(`test -x ${localBin}`)).exitCode === 0) return { localBin, version, onPath: false, hasNpx: false };
  return { localBin: null, version, onPath: await ctx.hasCommand(tool.bin), hasNpx: await ctx.hasCommand('npx') };
}

export const toolMissing = (name: string) => ({
  status: 'tool_missing' as const,
  message: `${name} not found: add it to setup in .ci-fixer.yml`,
});

/** Resolves a Node tool and runs `args` with it; a missing tool is an outcome, a failing run is for verify to judge. */
export async function runNodeTool(ctx: FixerContext, tool: NodeTool, args: string) {
  const pkg = parsePackageJson(await ctx.readFile('package.json'));
  const prefix = toolCommand(tool, await toolFacts(ctx, tool, pkg));
  if (prefix === null) return toolMissing(tool.bin);
  const result = await ctx.run(`${prefix} ${args}`);
  // 127: the shell found no such command after all (e.g. a broken bin link).
  if (result.exitCode === 127) return toolMissing(tool.bin);
  return { status: 'applied' as const };
}
