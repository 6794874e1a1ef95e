// Debian's chromium driven by playwright-core, one fresh profile per test file, plus the console
// helpers the browser tests share: sign-in, screenshots, and a record of every request the
// pages made (to prove nothing is loaded from outside ci-fixer).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface ConsoleBrowser {
  context: BrowserContext;
  page: Page;
  /** Every URL the browser requested. */
  requests: string[];
  close(): Promise<void>;
}

export async function openChromium(): Promise<ConsoleBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the browser tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it)`);
  }
  const profile = await mkdtemp(path.join(os.tmpdir(), 'ci-fixer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    // Generous: the machine may be busy, and a slow start is not what these tests check.
    timeout: 120_000,
  });
  context.setDefaultTimeout(60_000);
  const requests: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    requests,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** `npm run docs:screenshots` points this at docs/screenshots; otherwise a temp folder. */
const SHOTS_DIR = process.env.CONSOLE_SCREENSHOTS_DIR ?? path.join(os.tmpdir(), 'ci-fixer-console-screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SHOTS_DIR, { recursive: true });
  const file = path.join(SHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/** Signs in through the form, by keyboard: the token field has focus on arrival. */
export async function signIn(page: Page, baseUrl: string, token: string, next = '/'): Promise<void> {
  await page.goto(`${baseUrl}/login?next=${encodeURIComponent(next)}`);
  // Chromium applies `autofocus` at a rendering step after the load event, so on a busy machine
  // keys typed right after goto() land on <body>. Waiting for the focus still proves autofocus.
  await page.locator('#token:focus').waitFor();
  await page.keyboard.type(token);
  await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.keyboard.press('Enter')]);
}

/** The texts of the log lines the task page shows, in order. */
export function logTexts(page: Page): Promise<string[]> {
  return page.locator('#log .log-line .t').allTextContents();
}

/** Fails when a page made the document wider than its viewport (a horizontal scrollbar). */
export async function overflowWidth(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}
