// The dashboard's Notifications page (SPEC §15) in a real Chromium against the built master on loopback,
// with a webhook receiver on loopback that verifies signatures: an admin adds an endpoint from the page
// (its secret shown once), sends a test (the receiver gets it, signed; the delivery shows delivered in
// the live list), disables it; the read token sees the page and none of its buttons. No request leaves
// loopback and the page logs no console error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startMaster, stopMaster, waitFor, type MasterProcess } from '../e2e/harness.js';
import { browserMissing, launchChromium, watchedPage } from '../helpers/browser.js';
import { tempDir } from '../helpers/fixtures.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`${missing} (CI refuses to skip them)`);

describe('dashboard: notifications in Chromium', { skip: missing ?? false }, () => {
  let browser: Browser;
  const t = tempDir('argus-browser-notify-');
  const tokens = { ENROLL_TOKEN: 'enroll-0123456789abcdef', ADMIN_TOKEN: 'admin-0123456789abcdef', READ_TOKEN: 'read-0123456789abcdef' };
  let m: MasterProcess;
  let r: Receiver;
  before(async () => {
    browser = await launchChromium();
    r = await startReceiver();
    m = await startMaster(t.dir, { AUTH_MODE: 'token', ...tokens });
  });
  after(async () => {
    await browser?.close();
    await stopMaster(m);
    await r.close();
    t.cleanup();
  });

  const signIn = async (page: Page, token: string) => {
    await page.goto(`${m.base}/ui/login`);
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${m.base}/ui/`);
  };

  it('an admin adds an endpoint (secret shown once), sends a test the receiver verifies, sees it delivered, disables it', async () => {
    const { context, page, watched } = await watchedPage(browser);
    try {
      await signIn(page, tokens.ADMIN_TOKEN);
      await page.getByRole('link', { name: 'Notifications' }).click();
      await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
      await page.getByText('No endpoint: nobody is told when a node is lost.').waitFor();
      await page.getByLabel('Name').fill('ops');
      await page.getByLabel('URL').fill(r.url);
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      const secret = await page.locator('code.secret').innerText();
      assert.match(secret, /^whsec_/);
      r.secret = secret;
      await page.getByRole('button', { name: 'Send a test to E1' }).click();
      await waitFor('the test received', () => r.received.length === 1, 5_000, 50);
      assert.equal(r.received[0]!.verified, true, 'the receiver verifies its signature');
      assert.equal(r.received[0]!.body.type, 'test');
      await page.locator('table.deliveries .dstate.delivered').waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('code.secret').count(), 0, 'the secret is not shown again');
      await page.getByRole('button', { name: 'Disable E1' }).click();
      await page.locator('table.endpoints .estate.disabled').waitFor();
      assert.deepEqual(watched.outside, [], 'no request leaves loopback');
      assert.deepEqual(watched.consoleErrors, [], 'no console error');
    } finally {
      await context.close();
    }
  });

  it('the read token sees endpoints and deliveries, and no button to change them', async () => {
    const { context, page, watched } = await watchedPage(browser);
    try {
      await signIn(page, tokens.READ_TOKEN);
      await page.goto(`${m.base}/ui/notifications`);
      await page.locator('table.endpoints', { hasText: 'ops' }).waitFor();
      assert.equal(await page.getByRole('button').filter({ hasText: /Send test|Disable|Enable|Remove|Retry|Add endpoint/ }).count(), 0);
      assert.deepEqual(watched.consoleErrors, []);
    } finally {
      await context.close();
    }
  });
});
