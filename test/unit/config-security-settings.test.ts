// The security settings of src/config.ts: their defaults narrow what each party can do.
import { describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../src/api/auth.js';
import { loadConfig } from '../../src/config.js';
import { tokenFor } from '../../src/fixer/git.js';

describe('security settings', () => {
  it('GIT_TOKEN_HOSTS defaults to the GitHub host of GITHUB_API_URL', () => {
    expect(loadConfig({}).git.tokenHosts).toEqual(['github.com']);
    expect(loadConfig({ GITHUB_API_URL: 'https://ghe.example.com/api/v3' }).git.tokenHosts).toEqual([
      'ghe.example.com',
    ]);
    expect(loadConfig({ GIT_TOKEN_HOSTS: 'git.example.com, gitlab.example.com:8443' }).git.tokenHosts).toEqual([
      'git.example.com',
      'gitlab.example.com:8443',
    ]);
  });

  it('hands the clone token only to https URLs on its hosts', () => {
    const scoped = { token: 't0ken', hosts: ['github.com'] };
    expect(tokenFor('https://github.com/o/r.git', scoped)).toBe('t0ken');
    expect(tokenFor('https://GitHub.com/o/r.git', scoped)).toBe('t0ken');
    expect(tokenFor('https://attacker.example/o/r.git', scoped)).toBeUndefined();
    expect(tokenFor('https://github.com.attacker.example/o/r.git', scoped)).toBeUndefined();
    expect(tokenFor('https://github.com:444/o/r.git', scoped)).toBeUndefined();
    expect(tokenFor('file:///srv/github.com/r.git', scoped)).toBeUndefined();
    expect(tokenFor('https://github.com/o/r.git', undefined)).toBeUndefined();
  });
});

describe('API_TOKENS entries', () => {
  it('parses bare, named and scoped tokens, and names bad ones by position', () => {
    const [bare, named, scoped] = parseApiTokens(['t0ken-a', 'ci:t0ken-b', 'console:t0ken-c:read:all']);
    expect(bare).toMatchObject({ token: 't0ken-a', scopes: ['submit', 'read:all', 'cancel'] });
    expect(bare?.name).toMatch(/^token-[0-9a-f]{8}$/);
    expect(named).toEqual({ name: 'ci', token: 't0ken-b', scopes: ['submit', 'read:all', 'cancel'] });
    expect(scoped).toEqual({ name: 'console', token: 't0ken-c', scopes: ['read:all'] });
    expect(() => parseApiTokens(['a:t0ken:read:some'])).toThrow(/API_TOKENS entry 1: scopes are .*"read:some"/);
    expect(() => parseApiTokens(['a:t0ken-1', 'a:t0ken-2'])).toThrow(/"a" is used twice/);
    expect(() => loadConfig({ API_TOKENS: 'ok:t0ken, bad name:t0ken' })).toThrow(/API_TOKENS entry 2/);
    // Only the token itself is a secret to redact, not the name or the scopes.
    expect(loadConfig({ API_TOKENS: 'ci:t0ken-b:submit' }).secrets).toEqual(['t0ken-b']);
  });
});

describe('Redis password', () => {
  it('fills a password-less REDIS_URL from REDIS_PASSWORD and redacts the password', () => {
    const config = loadConfig({ REDIS_URL: 'redis://ci-fixer-redis:6379', REDIS_PASSWORD: 's3cret-pw' });
    expect(config.redis.url).toBe('redis://:s3cret-pw@ci-fixer-redis:6379');
    expect(config.secrets).toContain('s3cret-pw');
    const carried = loadConfig({ REDIS_URL: 'redis://:in-url-pw@r:6379', REDIS_PASSWORD: 'other' });
    expect(carried.redis.url).toBe('redis://:in-url-pw@r:6379');
    expect(carried.secrets).toEqual(expect.arrayContaining(['in-url-pw', 'other']));
  });
});
