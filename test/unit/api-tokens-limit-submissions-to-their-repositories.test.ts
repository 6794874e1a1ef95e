// Repository scopes on API tokens: the API_TOKENS grammar with a repository part, the pattern
// matching (one segment per `*`, nothing that a git server could read as another path), and the
// 403 a submission outside the patterns gets from the API and the console before anything is
// stored.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { mayUseGitToken, parseApiTokens, repositoryAllowed } from '../../src/shared/api-tokens.js';
import { buildTestApp, jsonPost } from '../support/api-harness.js';

describe('API_TOKENS with repository scopes', () => {
  it('reads the repository part after scopes that contain colons, ports included', () => {
    const [alice, bob, carol, dave, erin] = parseApiTokens([
      'alice:s3cret:submit+read:own:github.com/alice-org/*',
      'bob:b0b:submit:github.com/bob/app|git.example.com:8443/team/*/*',
      'carol:c4rol:github.com/carol/*',
      'dave:d4ve:submit+read:own',
      'erin:er/in',
    ]);
    expect(alice).toMatchObject({ name: 'alice', scopes: ['submit', 'read:own'], repos: ['github.com/alice-org/*'] });
    expect(bob).toMatchObject({ scopes: ['submit'], repos: ['github.com/bob/app', 'git.example.com:8443/team/*/*'] });
    expect(carol).toMatchObject({ scopes: ['submit', 'read:all', 'cancel'], repos: ['github.com/carol/*'] });
    expect(dave?.repos).toBeUndefined();
    expect(erin).toMatchObject({ token: 'er/in' });
    expect(erin?.repos).toBeUndefined();
  });

  it('refuses a malformed pattern or a scope list with an unknown scope, by position', () => {
    expect(() => parseApiTokens(['x:t:submit:github.com/a b/*'])).toThrow(/entry 1: repository patterns/);
    expect(() => parseApiTokens(['x:t:submit:github.com/a/../b'])).toThrow(ConfigError);
    expect(() => parseApiTokens(['x:t:submit+write:github.com/a/*'])).toThrow(/got "write"/);
  });

  it('gives GIT_TOKEN to tokens with repository scopes and to a single bare token only', () => {
    const [scoped, unscoped] = parseApiTokens(['a:t1:submit:github.com/a/*', 'b:t2:submit']);
    expect(mayUseGitToken(scoped!)).toBe(true);
    expect(mayUseGitToken(unscoped!)).toBe(false);
    expect(mayUseGitToken(parseApiTokens(['only-token'])[0]!)).toBe(true);
    expect(parseApiTokens(['bare-1', 'bare-2']).map(mayUseGitToken)).toEqual([false, false]);
    expect(mayUseGitToken(parseApiTokens(['named:t3'])[0]!)).toBe(false);
  });

  it('matches one path segment per * and nothing a server could read as another path', () => {
    const patterns = ['github.com/alice-org/*'];
    expect(repositoryAllowed(patterns, 'https://github.com/alice-org/app.git')).toBe(true);
    expect(repositoryAllowed(patterns, 'https://GitHub.com/alice-org/app/')).toBe(true);
    for (const url of [
      'https://github.com/alice-org/app/extra.git',
      'https://github.com/alice-org',
      'https://github.com/Alice-Org/app',
      'https://github.com/bob/app',
      'http://github.com/alice-org/app',
      'https://x:y@github.com/alice-org/app',
      'https://github.com/alice-org/..%2Fbob%2Fsecret',
      'https://github.com/alice-org/../bob/secret',
      'https://github.com/alice-org/app?x=1',
      'https://evil.test/github.com/alice-org/app',
      'not a url',
    ])
      expect(repositoryAllowed(patterns, url), url).toBe(false);
    expect(repositoryAllowed(['github.com/*/ci-*'], 'https://github.com/x/ci-tools')).toBe(true);
  });
});

describe('a submission outside the token repository scopes', () => {
  const tokens = ['alice:s3cret:submit+read:own:github.com/alice-org/*'];
  const outside = 'https://github.com/bob-org/private.git';

  it('is refused 403 forbidden by the API, naming the repository, and nothing is stored', async () => {
    const { app, tasks } = buildTestApp({ tokens });
    const spec = { repo: { url: outside, ref: 'main' }, command: 'make' };
    const res = await app.request('/api/v1/tasks', jsonPost(spec, { Authorization: 'Bearer s3cret' }));
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; message: string; details: unknown } };
    expect(body.error).toMatchObject({ code: 'forbidden', details: { repository: outside } });
    expect(body.error.message).toContain(outside);
    expect(tasks.submitted).toEqual([]);
    const inside = { repo: { url: 'https://github.com/alice-org/app.git', ref: 'main' }, command: 'make' };
    expect((await app.request('/api/v1/tasks', jsonPost(inside, { Authorization: 'Bearer s3cret' }))).status).toBe(202);
    expect(tasks.submitted).toHaveLength(1);
  });

  it('is refused 403 by the console submit form, and nothing is stored', async () => {
    const { app, tasks } = buildTestApp({ tokens, console: true });
    const res = await app.request('http://ci-fixer.test/tasks/new', {
      method: 'POST',
      headers: {
        Host: 'ci-fixer.test',
        Origin: 'http://ci-fixer.test',
        Cookie: 'ci_fixer_session=s3cret',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ 'repo.url': outside, 'repo.ref': 'main', command: 'make' }),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('bob-org/private.git');
    expect(tasks.submitted).toEqual([]);
  });
});
