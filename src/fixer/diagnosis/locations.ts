// Paths as tools print them (absolute sandbox paths, ./ prefixes, Windows separators, paths
// relative to a step's `cd`), made relative to the repository and checked against its file list.
import path from 'node:path';
import type { DiagnosisLocation } from '../../task.js';
import type { RawLocation } from './types.js';

export const MAX_LOCATIONS = 20;
const MAX_COMPONENTS = 64;

/** Pure: the path with separators, prefixes and `.`/`..` segments normalised; null when it leaves the root. */
export function normalisePath(raw: string, repoRoot?: string): string | null {
  let p = raw.trim().replace(/^["'(<[]+|[)"'>\]:,]+$/g, '');
  p = p.replace(/^file:\/\//, '').replace(/\\/g, '/');
  if (p === '' || p.length > 1024) return null;
  const root = repoRoot?.replace(/\\/g, '/').replace(/\/+$/, '');
  if (root && (p === root || p.startsWith(`${root}/`))) p = p.slice(root.length + 1);
  const absolute = /^(?:[A-Za-z]:)?\//.test(p);
  if (absolute) p = p.replace(/^[A-Za-z]:/, '');
  const normal = path.posix.normalize(p);
  if (absolute) return normal;
  const relative = normal.replace(/^(?:\.\/)+/, '');
  if (relative === '.' || relative === '..' || relative.startsWith('../')) return null;
  return relative;
}

class FileIndex {
  private byBase: Map<string, string[]> | undefined;
  constructor(readonly files: ReadonlySet<string>) {}

  /** The repository file this path names: itself, a suffix of an absolute path, or the one file ending with it. */
  resolve(p: string, cwd = ''): string | null {
    // A relative path is the step's folder's first (`cd packages/web && prettier --check .` names package.json).
    if (!p.startsWith('/') && cwd !== '') {
      const inCwd = path.posix.normalize(`${cwd}${p}`);
      if (this.files.has(inCwd)) return inCwd;
    }
    if (!p.startsWith('/') && this.files.has(p)) return p;
    const parts = p
      .split('/')
      .filter((c) => c !== '')
      .slice(-MAX_COMPONENTS);
    for (let i = p.startsWith('/') ? 0 : 1; i < parts.length; i++) {
      const candidate = parts.slice(i).join('/');
      if (this.files.has(candidate)) return candidate;
    }
    if (p.startsWith('/')) return null;
    // Relative to a folder the step changed into (`cd web && npx eslint .`): only when unambiguous.
    const base = parts.at(-1) ?? '';
    const matches = (this.index().get(base) ?? []).filter((f) => f.endsWith(`/${p}`));
    return matches.length === 1 ? (matches[0] as string) : null;
  }

  private index(): Map<string, string[]> {
    if (this.byBase === undefined) {
      this.byBase = new Map();
      for (const file of this.files) {
        const base = file.slice(file.lastIndexOf('/') + 1);
        const list = this.byBase.get(base);
        if (list) list.push(file);
        else this.byBase.set(base, [file]);
      }
    }
    return this.byBase;
  }
}

const positive = (n: number | undefined): number | null =>
  typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 1e9 ? n : null;

/**
 * Pure: the recognizer's locations made repository-relative, deduplicated and bounded. With a
 * file list (as the pipeline always gives), only paths that exist in the repository are kept.
 */
export function repositoryLocations(
  raw: readonly RawLocation[],
  files?: ReadonlySet<string>,
  repoRoot?: string,
  cwd?: string,
): DiagnosisLocation[] {
  const index = files ? new FileIndex(files) : undefined;
  const seen = new Set<string>();
  const out: DiagnosisLocation[] = [];
  for (const loc of raw.slice(0, 500)) {
    if (typeof loc?.path !== 'string') continue;
    const normal = normalisePath(loc.path, repoRoot);
    if (normal === null) continue;
    // Without a file list nothing can be checked: the path is kept as the tool printed it, normalised.
    const resolved = index ? index.resolve(normal, cwd) : normal;
    if (resolved === null) continue;
    const location = { path: resolved, line: positive(loc.line), column: positive(loc.column) };
    const key = `${location.path}:${location.line}:${location.column}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(location);
    if (out.length >= MAX_LOCATIONS) break;
  }
  return out;
}
