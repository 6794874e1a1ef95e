// API_TOKENS entries. Parsed here, below both src/config.ts (which validates the variable at
// startup) and src/api/auth.ts (which authenticates requests with the result).
//
// Grammar of one entry (entries are comma-separated in the variable):
//   token                          every scope, no name (the one-user setup)
//   name:token                     every scope
//   name:token:scopes              scopes joined by + (submit, read:own, read:all, cancel)
//   name:token:scopes:repos        and only these repositories
//   name:token:repos               every scope, only these repositories
// `repos` is `|`-separated patterns over `host[:port]/owner/name` (more segments for nested
// groups), where `*` matches within one path segment: `github.com/alice-org/*`. Scopes contain
// ':' themselves (read:own), and a host may carry a port, so the repository part is where the
// rest first reads `host[:port]/` after a ':' (no scope contains a '/').
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';

export const SCOPES = ['submit', 'read:own', 'read:all', 'cancel'] as const;
export type Scope = (typeof SCOPES)[number];
/** A bare token (no name, no scopes) keeps today's meaning: it may do everything. */
export const ALL_SCOPES: readonly Scope[] = ['submit', 'read:all', 'cancel'];

export interface ApiToken {
  /** Recorded on the tasks it submits (TaskRecord.submittedBy); never a secret. */
  name: string;
  token: string;
  scopes: readonly Scope[];
  /** Repository patterns (`host/owner/name`, `*` within a segment); undefined: no repository scope. */
  repos?: readonly string[];
  /**
   * The only token of a one-user install (a single bare token, or the dev token). Such a
   * submitter may have GIT_TOKEN attached to its clones without repository scopes.
   */
  singleUser?: boolean;
}

/** RFC 6750 token68. */
export const TOKEN_FORMAT = /^[A-Za-z0-9._~+/-]+=*$/;
const NAME_FORMAT = /^[A-Za-z0-9._-]{1,64}$/;

export const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Parses API_TOKENS entries; a bad one is a ConfigError naming it by position, never by value. */
export function parseApiTokens(entries: ReadonlyArray<string | ApiToken>): ApiToken[] {
  const tokens = entries.map((entry, i) => (typeof entry === 'string' ? parseEntry(entry, i + 1) : entry));
  const only = tokens.length === 1 && typeof entries[0] === 'string' && !entries[0].includes(':');
  if (only) tokens[0] = { ...tokens[0]!, singleUser: true };
  const names = new Set<string>();
  for (const { name } of tokens) {
    if (names.has(name)) throw new ConfigError(`API_TOKENS: the name ${JSON.stringify(name)} is used twice`);
    names.add(name);
  }
  return tokens;
}

function parseEntry(entry: string, position: number): ApiToken {
  const where = `API_TOKENS entry ${position}`;
  const parts = entry.split(':');
  if (parts.length === 1) {
    checkToken(entry, where);
    // A bare token has no name: a short digest names it stably without revealing it.
    return { name: `token-${digest(entry).toString('hex').slice(0, 8)}`, token: entry, scopes: ALL_SCOPES };
  }
  const [name = '', token = '', ...rest] = parts;
  if (!NAME_FORMAT.test(name)) throw new ConfigError(`${where}: the name must be 1-64 letters, digits, . _ or -`);
  checkToken(token, where);
  if (rest.length === 0) return { name, token, scopes: ALL_SCOPES };
  const { scopeText, repoText } = splitScopesAndRepos(rest.join(':'));
  const repos = repoText === undefined ? undefined : parseRepoPatterns(repoText, where);
  if (scopeText.trim() === '' && repos !== undefined) return { name, token, scopes: ALL_SCOPES, repos };
  const scopes = scopeText.split(/[+\s]+/).filter((s) => s !== '');
  const unknown = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown !== undefined || scopes.length === 0) {
    throw new ConfigError(
      `${where}: scopes are ${SCOPES.join(', ')} joined by +${unknown === undefined ? '' : `; got ${JSON.stringify(unknown)}`}`,
    );
  }
  return { name, token, scopes: [...new Set(scopes as Scope[])], ...(repos === undefined ? {} : { repos }) };
}

/** The shortest scope list after which the rest reads `host[:port]/...`; all of it otherwise. */
function splitScopesAndRepos(text: string): { scopeText: string; repoText?: string } {
  if (REPOS_START.test(text)) return { scopeText: '', repoText: text };
  const match = /^([^/]*?):([^:/]+(?::\d+)?\/.*)$/.exec(text);
  return match === null ? { scopeText: text } : { scopeText: match[1]!, repoText: match[2]! };
}

const REPOS_START = /^[^:/]+(?::\d+)?\//;
const HOST = /^[A-Za-z0-9.*-]+(?::\d+)?$/;
const SEGMENT = /^[A-Za-z0-9._*-]+$/;

function parseRepoPatterns(text: string, where: string): string[] {
  const patterns = text.split('|').map((p) => p.trim());
  for (const pattern of patterns) {
    const segments = pattern.split('/');
    const [host = '', ...path] = segments;
    if (path.length === 0 || !HOST.test(host) || !path.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..'))
      throw new ConfigError(
        `${where}: repository patterns are host/owner/name joined by |, with * matching within one segment; got ${JSON.stringify(pattern)}`,
      );
  }
  return patterns;
}

/**
 * `host/owner/name` of an https repository URL (host lowercased, `.git` and trailing slashes
 * dropped), or undefined for anything a pattern must never match: another scheme, credentials
 * in the URL, a query, percent-encoding (a server could decode `%2F` into another path) or
 * dot segments.
 */
export function repositoryPath(repoUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(repoUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.search !== '') return undefined;
  if (/[%\\]/.test(repoUrl) || /\/\.\.?(\/|$)/.test(repoUrl.slice(url.protocol.length + 2))) return undefined;
  const path = url.pathname.replace(/\/+$/, '').replace(/\.git$/, '');
  const segments = path.split('/').slice(1);
  if (segments.length === 0 || segments.some((s) => s === '')) return undefined;
  return [url.host.toLowerCase(), ...segments].join('/');
}

/** Whether the repository is inside one of the patterns (same segment count, `*` within a segment). */
export function repositoryAllowed(patterns: readonly string[], repoUrl: string): boolean {
  const path = repositoryPath(repoUrl);
  if (path === undefined) return false;
  const segments = path.split('/');
  return patterns.some((pattern) => {
    const parts = pattern.split('/');
    if (parts.length !== segments.length) return false;
    return parts.every((part, i) => {
      const value = i === 0 ? part.toLowerCase() : part;
      const regex = new RegExp(`^${value.replace(/[.+?^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
      return regex.test(segments[i]!);
    });
  });
}

/**
 * Whether tasks this token submits may clone with GIT_TOKEN: a token with repository scopes (its
 * submissions are inside them), or the one-user setup. Never an unscoped named tenant.
 */
export function mayUseGitToken(token: Pick<ApiToken, 'repos' | 'singleUser'>): boolean {
  return token.repos !== undefined || token.singleUser === true;
}

function checkToken(token: string, where: string): void {
  // A token outside this alphabet could never authenticate; say so at startup, not at the first 401.
  if (!TOKEN_FORMAT.test(token))
    throw new ConfigError(`${where}: tokens may only contain letters, digits and . _ ~ + / - (and trailing =)`);
}
