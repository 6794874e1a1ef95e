// API_TOKENS entries: `token` (every scope, the single-token setup) or
// `name:token[:scope+scope...]`. Parsed here, below both src/config.ts (which validates the
// variable at startup) and src/api/auth.ts (which authenticates requests with the result).
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
}

/** RFC 6750 token68. */
export const TOKEN_FORMAT = /^[A-Za-z0-9._~+/-]+=*$/;
const NAME_FORMAT = /^[A-Za-z0-9._-]{1,64}$/;

export const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Parses API_TOKENS entries; a bad one is a ConfigError naming it by position, never by value. */
export function parseApiTokens(entries: ReadonlyArray<string | ApiToken>): ApiToken[] {
  const tokens = entries.map((entry, i) => (typeof entry === 'string' ? parseEntry(entry, i + 1) : entry));
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
  // Scopes themselves contain ':' (read:own), so everything after the token is the scope list.
  const scopes = rest
    .join(':')
    .split(/[+\s]+/)
    .filter((s) => s !== '');
  const unknown = scopes.find((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown !== undefined || scopes.length === 0) {
    throw new ConfigError(
      `${where}: scopes are ${SCOPES.join(', ')} joined by +${unknown === undefined ? '' : `; got ${JSON.stringify(unknown)}`}`,
    );
  }
  return { name, token, scopes: [...new Set(scopes as Scope[])] };
}

function checkToken(token: string, where: string): void {
  // A token outside this alphabet could never authenticate; say so at startup, not at the first 401.
  if (!TOKEN_FORMAT.test(token))
    throw new ConfigError(`${where}: tokens may only contain letters, digits and . _ ~ + / - (and trailing =)`);
}
