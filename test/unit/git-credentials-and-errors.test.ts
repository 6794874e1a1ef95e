import { describe, expect, it } from 'vitest';
import { classifyGitFailure, gitRemoteEnv, refCandidates } from '../../src/fixer/git.js';
import { shellQuote } from '../../src/shared/shell.js';

describe('classifyGitFailure', () => {
  it.each([
    [
      "fatal: '/tmp/nope' does not appear to be a git repository\nfatal: Could not read from remote repository.",
      'unreachable',
    ],
    ["remote: Repository not found.\nfatal: repository 'https://example.test/a/b/' not found", 'unreachable'],
    ["fatal: could not read Username for 'https://example.test': terminal prompts disabled", 'unreachable'],
    ["fatal: Authentication failed for 'https://example.test/a/b/'", 'unreachable'],
    ["fatal: unable to access 'https://example.test/a/b/': The requested URL returned error: 403", 'unreachable'],
    ["fatal: couldn't find remote ref nope", 'ref_missing'],
    ["fatal: unable to access 'https://example.test/': Could not resolve host: example.test", 'transient'],
    [
      "fatal: unable to access 'https://127.0.0.1:1/r/': Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server",
      'transient',
    ],
    ["fatal: unable to access 'https://example.test/': The requested URL returned error: 502", 'transient'],
    ['error: RPC failed; curl 56 GnuTLS recv error\nfatal: early EOF', 'transient'],
    ['fatal: something nobody has seen before', 'unknown'],
  ])('%s -> %s', (output, kind) => {
    expect(classifyGitFailure(output)).toBe(kind);
  });
});

describe('gitRemoteEnv', () => {
  it('passes the token only as a header value scoped to the repository origin', () => {
    const env = gitRemoteEnv('https://git.example.test:8443/org/repo.git', 's3cr3t');
    const keys = Object.keys(env)
      .filter((k) => k.startsWith('GIT_CONFIG_KEY_'))
      .map((k) => env[k]);
    expect(keys).toContain('http.https://git.example.test:8443/.extraHeader');
    const header = Object.entries(env).find(
      ([k, v]) => k.startsWith('GIT_CONFIG_VALUE_') && v.startsWith('Authorization:'),
    );
    expect(header?.[1]).toBe(`Authorization: Basic ${Buffer.from('x-access-token:s3cr3t').toString('base64')}`);
    expect(Number(env.GIT_CONFIG_COUNT)).toBe(keys.length);
    // The raw token appears nowhere, not even in a key.
    expect(JSON.stringify(env)).not.toContain('s3cr3t');
  });

  it('disables prompts and host credential helpers, with or without a token', () => {
    for (const env of [gitRemoteEnv('https://git.example.test/r.git'), gitRemoteEnv('file:///srv/r.git', 't')]) {
      expect(env.GIT_TERMINAL_PROMPT).toBe('0');
      expect(env.GIT_ASKPASS).toBe('');
      expect(env.GIT_CONFIG_KEY_0).toBe('credential.helper');
      expect(env.GIT_CONFIG_VALUE_0).toBe('');
    }
    expect(JSON.stringify(gitRemoteEnv('file:///srv/r.git', 'tok'))).not.toContain('Authorization');
  });
});

describe('gitRemoteEnv with a CA bundle', () => {
  it('points only https remotes at the bundle, per command', () => {
    const env = gitRemoteEnv('https://git.internal.test/r.git', undefined, '/workspace/.ci-fixer/git-ca-bundle.pem');
    const pairs = Array.from({ length: Number(env.GIT_CONFIG_COUNT) }, (_, i) => [
      env[`GIT_CONFIG_KEY_${i}`],
      env[`GIT_CONFIG_VALUE_${i}`],
    ]);
    expect(pairs).toContainEqual(['http.sslCAInfo', '/workspace/.ci-fixer/git-ca-bundle.pem']);
    expect(JSON.stringify(gitRemoteEnv('file:///srv/r.git', undefined, '/x.pem'))).not.toContain('sslCAInfo');
    expect(JSON.stringify(gitRemoteEnv('https://git.internal.test/r.git'))).not.toContain('sslCAInfo');
  });
});

describe('refCandidates', () => {
  it('maps branches, tags, full refs and shas to what a clone knows', () => {
    expect(refCandidates('main')).toEqual(['refs/remotes/origin/main', 'refs/tags/main']);
    expect(refCandidates('refs/heads/feature/x')).toEqual(['refs/remotes/origin/feature/x']);
    expect(refCandidates('refs/tags/v1')).toEqual(['refs/tags/v1']);
    expect(refCandidates('abc1234')).toEqual(['refs/remotes/origin/abc1234', 'refs/tags/abc1234', 'abc1234']);
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone and single-quotes everything else', () => {
    expect(shellQuote('file:///tmp/repo')).toBe('file:///tmp/repo');
    expect(shellQuote("it's $(rm -rf) `x`")).toBe(`'it'\\''s $(rm -rf) \`x\`'`);
    expect(shellQuote('')).toBe("''");
  });
});
