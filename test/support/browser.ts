// The browsers the console is tested in, driven by playwright-core, one fresh profile per test
// file: Debian's chromium, and Debian's firefox-esr over WebDriver BiDi (channel moz-firefox, so
// no Playwright build of Firefox). Each vitest project of the tier drives one of them
// (vitest.config.ts provides its name). Plus the console helpers the browser tests share: sign-in,
// screenshots, and a record of every request the pages made (to prove nothing is loaded from
// outside ci-fixer).
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, firefox, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';
import { inject } from 'vitest';

export type BrowserName = 'chromium' | 'firefox';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The browser this project of the browser tier drives. */
    consoleBrowser: BrowserName;
  }
}

export const CHROMIUM = '/usr/bin/chromium';
export const FIREFOX = '/usr/bin/firefox-esr';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const FIREFOX_SHIM = fileURLToPath(new URL('./firefox-bidi-shim.ts', import.meta.url));

export interface ConsoleBrowser {
  name: BrowserName;
  context: BrowserContext;
  page: Page;
  /** Every URL the browser requested. */
  requests: string[];
  close(): Promise<void>;
}

function requireBinary(binary: string, pkg: string): void {
  if (!existsSync(binary)) {
    throw new Error(
      `${binary} is missing: the browser tests need Debian's ${pkg} (apt-get install -y ${pkg}; .ci/run and npm test install it)`,
    );
  }
}

/**
 * Firefox starts through test/support/firefox-bidi-shim.ts (why: see there). playwright-core runs
 * the executable it is given with Firefox's arguments, so this is a two-line script in `dir`.
 */
async function firefoxLaunch(dir: string): Promise<LaunchOptions> {
  requireBinary(FIREFOX, 'firefox-esr');
  const executable = path.join(dir, 'firefox');
  await writeFile(
    executable,
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(FIREFOX_SHIM)} ${FIREFOX} "$@"\n`,
  );
  await chmod(executable, 0o755);
  // Lets the tests read back what the console copied (allowClipboardRead) without Firefox's paste
  // prompt: the read is the test's, never the console's.
  return {
    channel: 'moz-firefox',
    executablePath: executable,
    firefoxUserPrefs: { 'dom.events.testing.asyncClipboard': true },
  };
}

function chromiumLaunch(): LaunchOptions {
  requireBinary(CHROMIUM, 'chromium');
  return { executablePath: CHROMIUM, args: CHROMIUM_ARGS };
}

/** The browser of this project (vitest.config.ts), on a fresh profile. */
export async function openBrowser(name: BrowserName = inject('consoleBrowser')): Promise<ConsoleBrowser> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `ci-fixer-${name}-`));
  const profile = path.join(dir, 'profile');
  const type = name === 'firefox' ? firefox : chromium;
  const launch = name === 'firefox' ? await firefoxLaunch(dir) : chromiumLaunch();
  const context = await type.launchPersistentContext(profile, {
    ...launch,
    headless: true,
    viewport: { width: 1280, height: 900 },
    // Generous: the machine may be busy, and a slow start is not what these tests check.
    timeout: 120_000,
  });
  context.setDefaultTimeout(60_000);
  const requests: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    name,
    context,
    page,
    requests,
    async close() {
      await context.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Lets the test read the clipboard (navigator.clipboard.readText) on `origin`, and the page write
 * to it. Chromium asks for permissions, which Firefox does not know: it lets a click write, and
 * reads under its testing pref (set at launch).
 */
export async function allowClipboardRead(browser: ConsoleBrowser, origin: string): Promise<void> {
  if (browser.name === 'chromium')
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
}

/** `npm run docs:screenshots` points this at docs/screenshots; otherwise a temp folder. */
const SHOTS_DIR = process.env.CONSOLE_SCREENSHOTS_DIR ?? path.join(os.tmpdir(), 'ci-fixer-console-screenshots');

/** The docs show Chromium's screenshots; Firefox's go to a folder of their own, beside them. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const browser = inject('consoleBrowser');
  const dir = browser === 'chromium' ? SHOTS_DIR : path.join(os.tmpdir(), 'ci-fixer-console-screenshots', browser);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
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
