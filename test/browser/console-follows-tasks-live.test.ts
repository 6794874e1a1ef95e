// A user's way through the console with the real ci-fixer (`all` mode, local sandbox, Redis):
// submit a prettier task from the form and watch it live to `fixed` with its diff, find it in the
// list, cancel a long task from its page, reload mid-stream without duplicate lines, and read a
// log of thousands of lines.
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixtureRepo, type FixtureRepo } from '../../scripts/lib/git-fixtures.js';
import {
  allowClipboardRead,
  logTexts,
  openBrowser,
  overflowWidth,
  screenshot,
  signIn,
  type ConsoleBrowser,
} from '../support/browser.js';
import type { CiFixerProcess } from '../support/ci-fixer-process.js';
import { E2E_TOKEN, useE2eStack } from '../support/e2e-stack.js';
import { taskClient, type TaskClient } from '../support/task-client.js';

const PHASE_ORDER = ['cloning', 'reproducing', 'fixing', 'verifying', 'reporting'];

async function attr(page: Page, name: string): Promise<string | null> {
  return page.locator('[data-task-id]').getAttribute(name);
}

/** Polls an attribute of the task page from here (the page's CSP allows no eval), bounded. */
async function waitForAttr(
  page: Page,
  name: string,
  check: (value: string | null) => boolean,
  timeout = 150_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  let value: string | null = null;
  while (Date.now() < deadline) {
    value = await attr(page, name);
    if (check(value)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not satisfy ${check.toString()} within ${timeout} ms (last: ${value})`);
}

async function submitFromForm(
  page: Page,
  baseUrl: string,
  fields: { url: string; ref: string; command: string; timeout?: string },
): Promise<string> {
  await page.goto(`${baseUrl}/tasks/new`);
  await page.getByLabel('Repository URL').fill(fields.url);
  await page.getByLabel('Ref').fill(fields.ref);
  await page.getByLabel('Command').fill(fields.command);
  if (fields.timeout) await page.getByLabel('Timeout (seconds, optional)').fill(fields.timeout);
  await Promise.all([
    page.waitForURL(/\/tasks\/[0-9a-f-]{36}/),
    page.getByRole('button', { name: 'Submit task' }).click(),
  ]);
  return (await attr(page, 'data-task-id'))!;
}

describe('the console follows tasks live', () => {
  const stack = useE2eStack('browser-live');
  let app: CiFixerProcess;
  let browser: ConsoleBrowser;
  let client: TaskClient;
  let prettier: FixtureRepo;

  beforeAll(async () => {
    prettier = await createFixtureRepo(path.join(stack.dir(), 'prettier'), 'prettier');
    app = await stack.start('all', { SANDBOX_DRIVER: 'local', WORKER_CONCURRENCY: '2' });
    client = taskClient(app.url, E2E_TOKEN);
    browser = await openBrowser();
    await signIn(browser.page, app.url, E2E_TOKEN);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('refuses an invalid form naming the field, with the API rules', async () => {
    const { page } = browser;
    await page.goto(`${app.url}/tasks/new`);
    await page.getByLabel('Repository URL').fill('ftp://example.test/repo');
    await page.getByLabel('Ref').fill('-bad');
    await page.getByRole('button', { name: 'Submit task' }).click();
    await page.locator('#form-errors').waitFor();
    const errors = await page
      .locator('[data-error-for]')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-error-for')));
    expect(errors.sort()).toEqual(['command', 'repo.ref', 'repo.url']);
    await expect(page.locator('[data-error-for="repo.url"]').textContent()).resolves.toContain('https:// or file://');
    expect(await page.getByLabel('Repository URL').getAttribute('aria-invalid')).toBe('true');
    // What the user typed is kept.
    expect(await page.getByLabel('Repository URL').inputValue()).toBe('ftp://example.test/repo');
    await screenshot(page, 'submit-form-errors');
  });

  it('submits a prettier task from the form and shows it advancing live to fixed, with the diff', async () => {
    const { page } = browser;
    const id = await submitFromForm(page, app.url, {
      url: prettier.url,
      ref: 'main',
      command: 'npx prettier --check .',
    });
    expect(['queued', 'running']).toContain(await attr(page, 'data-initial-state'));
    await waitForAttr(page, 'data-result-loaded', (v) => v === 'true');

    await expect(page.locator('#task-state').textContent()).resolves.toBe('succeeded');
    await expect(page.locator('#outcome').textContent()).resolves.toContain('fixed by prettier');
    // Phases arrived one by one over SSE, in pipeline order, and log lines arrived while it ran.
    const phases = ((await attr(page, 'data-phases-seen')) ?? '').split(' ').filter(Boolean);
    expect(phases.length).toBeGreaterThanOrEqual(2);
    expect(phases.map((p) => PHASE_ORDER.indexOf(p))).toEqual(
      [...phases.map((p) => PHASE_ORDER.indexOf(p))].sort((a, b) => a - b),
    );
    expect(Number(await attr(page, 'data-lines-while-running'))).toBeGreaterThan(0);

    // The log on the page is the task's log, line for line.
    const { lines } = await client.readAllLogs(id, 500);
    expect(await logTexts(page)).toEqual(lines.map((l) => l.text));
    // Commands with exit codes, and the patch as a highlighted diff.
    const exitCodes = await page.locator('#commands tbody tr td:nth-child(2)').allTextContents();
    expect(exitCodes).toContain('1');
    expect(exitCodes).toContain('0');
    await expect(page.locator('#diff .diff-file h3').allTextContents()).resolves.toEqual(
      expect.arrayContaining(['src/greet.js']),
    );
    expect(await page.locator('#diff tr.add').count()).toBeGreaterThan(0);
    expect(await page.locator('#diff tr.del').count()).toBeGreaterThan(0);
    expect(await page.locator('#diff .hljs-keyword, #diff .hljs-string').count()).toBeGreaterThan(0);
    // Copy as curl puts the spec on the clipboard, with the token left as a variable.
    await allowClipboardRead(browser, app.url);
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    await page.waitForFunction(() => (document.getElementById('curl-status')?.textContent ?? '') !== '');
    await expect(page.locator('#curl-status').textContent()).resolves.toBe('Copied.');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toContain(`-d '{"repo":{"url":"${prettier.url}","ref":"main"},"command":"npx prettier --check ."}'`);
    expect(copied).toContain('$CI_FIXER_TOKEN');
    expect(copied).not.toContain(E2E_TOKEN);
    expect(await page.locator('#cancel-form').isVisible()).toBe(false);
    await screenshot(page, 'task-fixed');
    await page.setViewportSize({ width: 360, height: 740 });
    expect(await overflowWidth(page)).toBeLessThanOrEqual(0);
    await screenshot(page, 'task-fixed-360px');
    await page.setViewportSize({ width: 1280, height: 900 });

    // It is in the list, newest first, and the filters find it or leave it out.
    await page.goto(`${app.url}/tasks`);
    const row = page.locator(`tr[data-task-row="${id}"]`);
    await expect(row.textContent()).resolves.toContain('succeeded');
    await expect(row.textContent()).resolves.toContain('fixed');
    await expect(row.textContent()).resolves.toContain('prettier');
    await page.getByLabel('State').selectOption('failed');
    await Promise.all([page.waitForURL(/state=failed/), page.getByRole('button', { name: 'Filter' }).click()]);
    expect(await page.locator(`tr[data-task-row="${id}"]`).count()).toBe(0);
    await page.getByLabel('State').selectOption('succeeded');
    await page.getByLabel('Repository contains').fill('prettier');
    await Promise.all([page.waitForURL(/state=succeeded/), page.getByRole('button', { name: 'Filter' }).click()]);
    expect(await page.locator(`tr[data-task-row="${id}"]`).count()).toBe(1);
    await page.goto(`${app.url}/tasks`);
    await screenshot(page, 'task-list');

    await page.goto(`${app.url}/`);
    await expect(page.locator('#outcomes tbody td').first().textContent()).resolves.toBe('1');
    await expect(page.locator('#fixers tbody').textContent()).resolves.toContain('prettier');
    await screenshot(page, 'overview');
  });

  it('cancels a long task from its page after a reload mid-stream, with no line shown twice', async () => {
    const { page } = browser;
    const command = 'for i in $(seq 1 600); do echo "tick $i"; sleep 0.1; done';
    const id = await submitFromForm(page, app.url, { url: stack.repo().url, ref: 'main', command, timeout: '300' });
    await waitForAttr(page, 'data-log-lines', (v) => Number(v) >= 15, 60_000);

    await page.reload();
    await waitForAttr(page, 'data-log-lines', (v) => Number(v) >= 40, 60_000);
    const afterReload = await logTexts(page);
    // Line for line what the API holds so far: nothing shown twice, nothing skipped. (Texts alone
    // may repeat: two identical commands print the same "exit 0 after 6 ms".)
    const stored = (await client.logs(id, 0, 1000)).lines.map((l) => l.text);
    expect(stored.length).toBeGreaterThanOrEqual(afterReload.length);
    expect(afterReload).toEqual(stored.slice(0, afterReload.length));
    const ticks = afterReload.filter((t) => t.startsWith('tick '));
    expect(ticks).toEqual(ticks.map((_, i) => `tick ${i + 1}`));
    expect(await page.locator('#task-state').textContent()).toBe('running');
    await screenshot(page, 'task-running');

    await Promise.all([
      page.waitForURL(/notice=cancel-requested/),
      page.getByRole('button', { name: 'Cancel task' }).click(),
    ]);
    await waitForAttr(page, 'data-stream', (v) => v === 'ended', 60_000);
    await expect(page.locator('#task-state').textContent()).resolves.toBe('cancelled');
    expect((await client.get(id)).state).toBe('cancelled');
    const { lines } = await client.readAllLogs(id, 1000);
    expect(await logTexts(page)).toEqual(lines.map((l) => l.text));
    expect(lines.at(-1)?.text).toBe('task cancelled');
  });

  it('shows a log of thousands of lines completely', async () => {
    const { page } = browser;
    const { id } = await client.submit({ repo: { url: stack.repo().url, ref: 'main' }, command: 'seq 1 4000' });
    await page.goto(`${app.url}/tasks/${id}`);
    await waitForAttr(page, 'data-stream', (v) => v === 'ended');
    const { lines } = await client.readAllLogs(id, 5000);
    expect(lines.length).toBeGreaterThan(4000);
    expect(await page.locator('#log .log-line').count()).toBe(lines.length);
    // The log box scrolls on its own and follows the end.
    const box = await page.locator('#log').evaluate((el) => ({
      scroll: el.scrollHeight > el.clientHeight,
      atEnd: el.scrollHeight - el.scrollTop - el.clientHeight < 50,
    }));
    expect(box).toEqual({ scroll: true, atEnd: true });
    await expect(page.locator('#log-count').textContent()).resolves.toBe(`${lines.length} lines`);
  });
});
