// The console's building blocks without a browser: the session cookie's rules, the return path
// after sign-in, the unified diff parser and the Copy-as-curl text.
import { describe, expect, it } from 'vitest';
import { buildTestApp, TOKENS } from '../support/api-harness.js';
import { parseUnifiedDiff } from '../../src/console/pages/diff.js';
import { curlFor } from '../../src/console/pages/task-page.js';
import { safeReturnPath } from '../../src/console/session.js';
import type { FixResult, TaskRecord } from '../../src/task.js';
import { loadConfig } from '../../src/config.js';

const cookie = (token: string) => ({ Cookie: `ci_fixer_session=${token}` });

describe('console session', () => {
  it('lets the session cookie read /api/v1, but never write through it', async () => {
    const { app, tasks } = buildTestApp({ console: true });
    const task = tasks.seed({ state: 'running' });
    expect((await app.request('/api/v1/tasks', { headers: cookie(TOKENS[0]!) })).status).toBe(200);
    expect((await app.request(`/api/v1/tasks/${task.id}`, { headers: cookie('wrong') })).status).toBe(401);
    const cancel = await app.request(`/api/v1/tasks/${task.id}/cancel`, {
      method: 'POST',
      headers: cookie(TOKENS[0]!),
    });
    expect(cancel.status).toBe(401);
    expect((await tasks.get(task.id))?.state).toBe('running');
  });

  it('ignores the cookie when the console is off, and serves no pages then', async () => {
    const { app } = buildTestApp();
    expect((await app.request('/api/v1/tasks', { headers: cookie(TOKENS[0]!) })).status).toBe(401);
    expect((await app.request('/', { headers: cookie(TOKENS[0]!) })).status).toBe(404);
    expect((await app.request('/login')).status).toBe(404);
  });

  it('refuses a sign-in form posted from another origin', async () => {
    const { app } = buildTestApp({ console: true });
    const body = new URLSearchParams({ token: TOKENS[0]! });
    const res = await app.request('http://ci-fixer.test/login', {
      method: 'POST',
      body,
      headers: {
        Host: 'ci-fixer.test',
        Origin: 'https://evil.test',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('Set-Cookie')).toBeNull();
    const ok = await app.request('http://ci-fixer.test/login', {
      method: 'POST',
      body,
      headers: {
        Host: 'ci-fixer.test',
        Origin: 'http://ci-fixer.test',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('Set-Cookie')).toMatch(
      /^ci_fixer_session=.+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Strict$/,
    );
  });

  it('returns only to paths on this site after sign-in', () => {
    expect(safeReturnPath('/tasks?state=failed')).toBe('/tasks?state=failed');
    expect(safeReturnPath('/admin/queues')).toBe('/admin/queues');
    for (const bad of ['//evil.test/', '/\\evil.test', 'https://evil.test/', 'javascript:alert(1)', '', undefined])
      expect(safeReturnPath(bad)).toBe('/');
  });
});

describe('console diff and curl', () => {
  it('parses a git diff into files with old and new line numbers', () => {
    const patch = [
      'diff --git a/src/a.js b/src/a.js',
      'index 1..2 100644',
      '--- a/src/a.js',
      '+++ b/src/a.js',
      '@@ -3,3 +3,3 @@ function f() {',
      ' keep',
      '-old',
      '+new',
      ' tail',
      '',
    ].join('\n');
    const [file, ...rest] = parseUnifiedDiff(patch);
    expect(rest).toEqual([]);
    expect(file!.path).toBe('src/a.js');
    expect(file!.rows).toEqual([
      { kind: 'hunk', text: '@@ -3,3 +3,3 @@ function f() {' },
      { kind: 'ctx', old: 3, new: 3, text: 'keep' },
      { kind: 'del', old: 4, text: 'old' },
      { kind: 'add', new: 4, text: 'new' },
      { kind: 'ctx', old: 5, new: 5, text: 'tail' },
    ]);
  });

  it('quotes the spec for the shell and leaves the token a variable', () => {
    const task = {
      spec: { repo: { url: 'https://example.test/o/r.git', ref: 'main' }, command: "echo 'hi'", timeoutSeconds: 60 },
    } as TaskRecord;
    const curl = curlFor(task, 'http://localhost:3001');
    expect(curl).toContain('$CI_FIXER_TOKEN');
    expect(curl).toContain(
      `-d '{"repo":{"url":"https://example.test/o/r.git","ref":"main"},"command":"echo '\\''hi'\\''","timeoutSeconds":60}'`,
    );
  });
});

describe('console task result', () => {
  const signedIn = { headers: cookie(TOKENS[0]!) };

  it('renders a diagnosis when the result has one, and GitHub links', async () => {
    const { app, tasks } = buildTestApp({ console: true });
    const result: FixResult = {
      outcome: 'not_fixed',
      fixer: null,
      patch: '',
      patchTruncated: false,
      commands: [{ command: 'npx eslint .', exitCode: 1, durationMs: 1500, timedOut: false }],
      diagnosis: {
        tool: 'eslint',
        category: 'lint',
        step: { index: 1, command: 'npx eslint .' },
        locations: [{ path: 'src/a.js', line: 3, column: 1 }],
        excerpt: ["3:1 error 'x' is not defined"],
        summary: 'eslint failed in src/a.js:3 (lint)',
      },
      github: {
        checkRunId: 7,
        checkRunUrl: 'https://github.com/o/r/runs/7',
        branch: null,
        commitSha: null,
        pullRequestUrl: null,
        commentUrl: null,
        attempts: 1,
        error: null,
      },
    };
    const task = tasks.seed({ state: 'succeeded', result });
    const html = await (await app.request(`/tasks/${task.id}/result`, signedIn)).text();
    expect(html).toContain('id="diagnosis"');
    expect(html).toContain('src/a.js:3');
    expect(html).toContain('eslint · lint · in step 2: npx eslint .');
    expect(html).toContain('eslint failed in src/a.js:3 (lint)');
    expect(html).toContain('3:1 error &#39;x&#39; is not defined');
    expect(html).toContain('href="https://github.com/o/r/runs/7"');
    expect(html).toContain('<td>1</td><td>1.5 s</td>');
  });

  it('renders no diagnosis section without one, and 404s an unknown or malformed id', async () => {
    const { app, tasks } = buildTestApp({ console: true });
    const task = tasks.seed({ state: 'failed', error: { code: 'task_timeout', message: 'took too long' } });
    const html = await (await app.request(`/tasks/${task.id}/result`, signedIn)).text();
    expect(html).not.toContain('id="diagnosis"');
    expect(html).toContain('task_timeout: took too long');
    expect((await app.request('/tasks/00000000-0000-4000-8000-000000000000', signedIn)).status).toBe(404);
    expect((await app.request('/tasks/not-a-uuid', signedIn)).status).toBe(404);
  });
});

describe('console routing', () => {
  it('leaves unknown paths and the API to the API: JSON 404s, no sign-in redirect', async () => {
    const { app } = buildTestApp({ console: true });
    const unknown = await app.request('/api/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await app.request('/nope')).status).toBe(404);
    const page = await app.request('/tasks');
    expect(page.status).toBe(303);
    expect(page.headers.get('Location')).toBe('/login?next=%2Ftasks');
    // A JSON API submission is not a form: the console's origin check does not touch it.
    const res = await app.request('/api/v1/tasks', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${TOKENS[0]}`, Origin: 'https://elsewhere.test' },
      body: '{}',
    });
    expect(res.status).toBe(415);
  });
});

describe('console switch and paging', () => {
  it('is on by default and off with CONSOLE_ENABLED=false', () => {
    expect(loadConfig({}).console.enabled).toBe(true);
    expect(loadConfig({ CONSOLE_ENABLED: 'false' }).console.enabled).toBe(false);
    expect(() => loadConfig({ CONSOLE_ENABLED: 'maybe' })).toThrow(/CONSOLE_ENABLED/);
  });

  it('pages the task list newest first with an "Older tasks" link, and keeps the filters on it', async () => {
    const { app, tasks } = buildTestApp({ console: true });
    const base = Date.parse('2026-01-01T00:00:00Z');
    const ids = Array.from(
      { length: 30 },
      (_, i) => tasks.seed({ createdAt: new Date(base + i * 1000).toISOString(), state: 'failed' }).id,
    );
    const rows = (html: string) => [...html.matchAll(/data-task-row="([^"]+)"/g)].map((m) => m[1]);
    const first = await (await app.request('/tasks?state=failed', { headers: cookie(TOKENS[0]!) })).text();
    expect(rows(first)).toEqual([...ids].reverse().slice(0, 25));
    const older = /href="(\/tasks\?[^"]+)" rel="next"/.exec(first)?.[1]?.replace(/&amp;/g, '&');
    expect(older).toContain('state=failed');
    const second = await (await app.request(older!, { headers: cookie(TOKENS[0]!) })).text();
    expect(rows(second)).toEqual([...ids].reverse().slice(25));
    expect(second).not.toContain('rel="next"');
    const bad = await app.request('/tasks?state=nope', { headers: cookie(TOKENS[0]!) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('state:');
  });
});
