// A real Chromium for the dashboard tests: Debian's /usr/bin/chromium (or CHROMIUM_PATH) driven by
// playwright-core, headless, with everything that would call home switched off (this network refuses
// it). Every request a page makes is checked: anything not on loopback is recorded and refused.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH): the browser tests did not run`;
}

export async function launchChromium(): Promise<Browser> {
  const args = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', '--disable-default-apps', '--disable-extensions'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** What a page did that a test asserts on: requests that left loopback, console errors, page errors. */
export interface Watched {
  outside: string[];
  consoleErrors: string[];
}

/** A new context whose requests are kept on loopback, and a page whose errors are collected. */
export async function watchedPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; watched: Watched }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  const watched: Watched = { outside: [], consoleErrors: [] };
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !LOOPBACK.has(url.hostname)) {
      watched.outside.push(url.href);
      await route.abort('blockedbyclient');
      return;
    }
    await route.continue();
  });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') watched.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => watched.consoleErrors.push(`page error: ${err.message}`));
  return { context, page, watched };
}

/** Asserts that the page `what` sent no request off loopback and logged no console error. */
export function assertClean(w: Watched, what: string): void {
  assert.deepEqual(w.outside, [], `${what}: no request leaves loopback`);
  assert.deepEqual(w.consoleErrors, [], `${what}: no console error`);
}
