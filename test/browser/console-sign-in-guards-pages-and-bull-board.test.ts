// Signing in to the console in a real browser: a bad token is refused with a message, a good one
// is kept in an HttpOnly SameSite=Strict cookie (not in the URL or page storage), Bull Board
// loads behind it and refuses without it, and sign-out ends it. Everything comes from ci-fixer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXER_NAMES } from '../../src/task.js';
import { openBrowser, overflowWidth, screenshot, signIn, type ConsoleBrowser } from '../support/browser.js';
import type { CiFixerProcess } from '../support/ci-fixer-process.js';
import { E2E_TOKEN, useE2eStack } from '../support/e2e-stack.js';

describe('console sign-in', () => {
  const stack = useE2eStack('browser-signin');
  let app: CiFixerProcess;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    app = await stack.start('all', { SANDBOX_DRIVER: 'local' });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('sends a visitor without a session to sign-in, for pages and for Bull Board', async () => {
    const { page } = browser;
    await page.goto(`${app.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await expect(page.getByLabel('API token').isVisible()).resolves.toBe(true);
    await screenshot(page, 'sign-in');

    await page.goto(`${app.url}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/admin/queues');
    const api = await browser.context.request.get(`${app.url}/admin/queues/api/queues`);
    expect(api.status()).toBe(401);
    const list = await browser.context.request.get(`${app.url}/api/v1/tasks`);
    expect(list.status()).toBe(401);
  });

  it('shows an error for a bad token and sets no session', async () => {
    const { page, context } = browser;
    await page.goto(`${app.url}/login`);
    await page.getByLabel('API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not accepted');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getByLabel('API token').getAttribute('aria-invalid')).toBe('true');
    expect(await context.cookies()).toEqual([]);
    await screenshot(page, 'sign-in-bad-token');
  });

  it('signs in by keyboard with a good token into Bull Board, keeping the token out of the page', async () => {
    const { page, context } = browser;
    await signIn(page, app.url, E2E_TOKEN, '/admin/queues');
    expect(new URL(page.url()).pathname).toBe('/admin/queues');
    // Bull Board's own UI renders the queue.
    await page.getByText('fix-tasks').first().waitFor();
    await page.waitForLoadState('networkidle');
    await page.getByText('Loading').waitFor({ state: 'detached' });
    await screenshot(page, 'bull-board');
    const api = await context.request.get(`${app.url}/admin/queues/api/queues`);
    expect(api.status()).toBe(200);

    const [cookie, ...others] = await context.cookies();
    expect(others).toEqual([]);
    expect(cookie).toMatchObject({
      name: 'ci_fixer_session',
      value: E2E_TOKEN,
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
    });
    await page.goto(`${app.url}/`);
    const exposed = await page.evaluate(() => ({
      cookie: document.cookie,
      local: JSON.stringify(localStorage),
      session: JSON.stringify(sessionStorage),
    }));
    expect(exposed).toEqual({ cookie: '', local: '{}', session: '{}' });
    expect(browser.requests.some((url) => url.includes(E2E_TOKEN))).toBe(false);
  });

  it('shows the overview and is usable at 360 px wide', async () => {
    const { page } = browser;
    await page.goto(`${app.url}/`);
    await expect(page.getByRole('heading', { name: 'Overview' }).isVisible()).resolves.toBe(true);
    await expect(page.locator('#queue-depth').textContent()).resolves.toBe('0');
    await page.setViewportSize({ width: 360, height: 740 });
    for (const path of ['/', '/tasks', '/tasks/new']) {
      await page.goto(`${app.url}${path}`);
      expect(await overflowWidth(page), path).toBeLessThanOrEqual(0);
    }
    await screenshot(page, 'submit-form-360px');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('reaches every control of the submit form by keyboard, in order', async () => {
    const { page } = browser;
    await page.goto(`${app.url}/tasks/new`);
    const focused: string[] = [];
    // One stop per field and per fixer checkbox, plus the page's links: bounded, and it stops once
    // the submit button had focus.
    for (let i = 0; i < 20 + FIXER_NAMES.length && !focused.includes('Submit task'); i++) {
      await page.keyboard.press('Tab');
      focused.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          return el?.getAttribute('name') ?? el?.textContent?.trim() ?? '';
        }),
      );
    }
    expect(focused.filter((name) => name === 'fixers')).toHaveLength(FIXER_NAMES.length);
    expect(focused).toEqual(
      expect.arrayContaining([
        'repo.url',
        'repo.ref',
        'command',
        'timeoutSeconds',
        'fixers',
        'Submit task',
        'Sign out',
      ]),
    );
  });

  it('signs out: the cookie is gone and Bull Board refuses again', async () => {
    const { page, context } = browser;
    await page.goto(`${app.url}/`);
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/login'),
      page.getByRole('button', { name: 'Sign out' }).click(),
    ]);
    expect(await context.cookies()).toEqual([]);
    expect((await context.request.get(`${app.url}/admin/queues/api/queues`)).status()).toBe(401);
    await page.goto(`${app.url}/tasks`);
    expect(new URL(page.url()).pathname).toBe('/login');
    // Every request went to ci-fixer itself: no CDN, fonts or trackers.
    const foreign = browser.requests.filter((url) => !url.startsWith(app.url) && !url.startsWith('data:'));
    expect(foreign).toEqual([]);
  });
});
