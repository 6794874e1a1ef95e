// The security settings of src/config.ts: their defaults narrow what each party can do.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { tokenFor } from '../../src/fixer/git.js';

describe('security settings', () => {
  it('GIT_TOKEN_HOSTS defaults to the GitHub host of GITHUB_API_URL', () => {
    expect(loadConfig({}).git.tokenHosts).toEqual(['github.com']);
    expect(loadConfig({ GITHUB_API_URL: 'https://ghe.example.com/api/v3' }).git.tokenHosts).toEqual(['ghe.example.com']);
    expect(loadConfig({ GIT_TOKEN_HOSTS: 'git.example.com, gitlab.example.com:8443' }).git.tokenHosts).toEqual(['git.example.com', 'gitlab.example.com:8443']);
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
