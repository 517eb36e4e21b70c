// The dashboard's selectors, component health and maintenance (SPEC §12–§14) in a real Chromium against
// the built master on loopback: the selector box, the Degraded and In maintenance filters, a node's
// health and failing components, a window made from a node's page and from the Maintenance page for a
// selector, its badge on rows and pages, ending it; the read token sees and cannot change. Every test
// also asserts that no request left loopback and that the page logged no console error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { requestFresh, startMaster, stopMaster, waitFor, type MasterProcess } from '../e2e/harness.js';
import { assertClean as clean, browserMissing, launchChromium, watchedPage } from '../helpers/browser.js';
import { registrationBody, tempDir } from '../helpers/fixtures.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`${missing} (CI refuses to skip them)`);

const tableIds = (page: Page) => page.locator('table.nodes tbody tr td:first-child').allInnerTexts();
/** Six nodes: A1–A3 in rack 7, A1–A5 online, A2 with a failing exporter, GPUs 2, 4, … 12. */
async function fleet(m: MasterProcess, headers: Record<string, string> = {}) {
  for (let i = 1; i <= 6; i++) {
    await requestFresh('POST', `${m.api}/nodes`, registrationBody(`pod-${i}`, { meta_data: { hostname: `pod-${i}`, ip: `10.0.0.${i}`, gpu_number: i * 2 } }), headers);
  }
  for (const id of ['A1', 'A2', 'A3']) await requestFresh('PUT', `${m.api}/nodes/${id}/config`, { label: ['gpu', 'rack=7'] }, headers);
  for (let i = 1; i <= 5; i++) {
    const exporter = i === 2 ? { status: 'failed', message: 'connection refused' } : { status: 'healthy' };
    await requestFresh('PUT', `${m.api}/nodes/A${i}/status`, { timestamp: new Date().toISOString(), health: { 'metric-node-exporter': exporter } }, headers);
  }
}

describe('dashboard: selectors, health and maintenance in Chromium', { skip: missing ?? false }, () => {
  let browser: Browser;
  before(async () => { browser = await launchChromium(); });
  after(async () => { await browser?.close(); });

  describe('auth disabled', () => {
    const t = tempDir('argus-browser-');
    let m: MasterProcess;
    before(async () => {
      m = await startMaster(t.dir, { ONLINE_THRESHOLD_SECONDS: '120', OFFLINE_THRESHOLD_SECONDS: '180' });
      await fleet(m);
    });
    after(async () => {
      await stopMaster(m);
      t.cleanup();
    });

    it('selects with the selector box, filters Degraded, and shows a node\'s failing components', async () => {
      const { context, page, watched } = await watchedPage(browser);
      try {
        await page.goto(`${m.base}/ui/`);
        await page.getByRole('textbox', { name: 'Selector' }).fill('rack=7, meta.gpu_number>=4');
        await page.keyboard.press('Enter');
        await page.waitForURL(/selector=/);
        assert.deepEqual(await tableIds(page), ['A2', 'A3']);
        assert.equal(await page.getByRole('textbox', { name: 'Selector' }).inputValue(), 'rack=7, meta.gpu_number>=4', 'the URL keeps the selector (shareable)');
        await page.getByText('selected by').waitFor();

        await page.goto(`${m.base}/ui/`);
        await page.getByRole('link', { name: 'Degraded 1' }).click();
        await page.waitForURL(/degraded=true/);
        assert.deepEqual(await tableIds(page), ['A2']);
        await page.locator('table.nodes .degraded', { hasText: 'degraded' }).waitFor();

        await page.getByRole('link', { name: 'A2', exact: true }).click();
        await page.getByRole('heading', { name: /Node A2/ }).waitFor();
        const failing = page.getByRole('table', { name: 'Failing components' });
        assert.deepEqual(await failing.locator('tbody th, tbody td').allInnerTexts().then((c) => [c[0], c[1], c[3]]), ['metric-node-exporter', 'failed', 'connection refused']);

        const bad = await page.goto(`${m.base}/ui/?selector=${encodeURIComponent('rack in 7')}`);
        assert.equal(bad?.status(), 400);
        await page.getByText("invalid selector at position 8: expected '('").waitFor();
        watched.consoleErrors = watched.consoleErrors.filter((e) => !e.includes('400')); // the refused page's own load
        clean(watched, 'selectors and health');
      } finally {
        await context.close();
      }
    });

    it('puts a node in maintenance from its page and rack 7 from the Maintenance page, shows the badges live, ends them', async () => {
      const { context, page, watched } = await watchedPage(browser);
      try {
        await page.goto(`${m.base}/ui/nodes/A5`);
        await page.getByRole('combobox', { name: 'Maintenance for' }).selectOption({ label: '1 hour' });
        await page.getByRole('textbox', { name: 'because' }).fill('disk swap');
        await page.getByRole('button', { name: 'Start maintenance' }).click();
        await page.waitForURL(/\/ui\/nodes\/A5\?saved=maintenance/);
        await page.getByRole('status').filter({ hasText: 'Maintenance window made.' }).waitFor();
        // The sweeping side applies it within a second; the page follows the change live.
        await page.locator('#node .maint', { hasText: 'M1' }).waitFor({ timeout: 5_000 });
        await page.getByText('disk swap (by dashboard)').waitFor();

        await page.getByRole('link', { name: 'Maintenance', exact: true }).click();
        await page.getByRole('textbox', { name: 'Selector' }).fill('rack=7');
        await page.getByRole('textbox', { name: 'because' }).fill('re-cabling rack 7');
        await page.getByRole('button', { name: 'Start maintenance' }).click();
        await page.waitForURL(/\/ui\/maintenance$/);
        const row = page.locator('#M2');
        await row.getByText('re-cabling rack 7').waitFor();
        await row.locator('.wstate', { hasText: 'active' }).waitFor();

        await page.goto(`${m.base}/ui/`);
        await page.getByRole('link', { name: 'In maintenance 4' }).waitFor({ timeout: 5_000 });
        assert.equal(await page.locator('table.nodes .maint').count(), 4);

        await page.goto(`${m.base}/ui/maintenance`);
        await page.getByRole('button', { name: 'End M2' }).click();
        await page.locator('#M2 .wstate', { hasText: 'ended' }).waitFor();
        await waitFor('rack 7 out of maintenance', async () => (await requestFresh('GET', `${m.api}/nodes?selector=maintenance%3Dtrue`)).body.length === 1, 5_000, 50);
        await page.goto(`${m.base}/ui/?maintenance=true`);
        assert.deepEqual(await tableIds(page), ['A5']);

        await page.goto(`${m.base}/ui/maintenance`);
        await page.getByRole('textbox', { name: 'because' }).fill('no end');
        await page.getByRole('button', { name: 'Start maintenance' }).click();
        await page.getByRole('alert').filter({ hasText: 'Window not made: a window needs a selector or nodes' }).waitFor();
        watched.consoleErrors = watched.consoleErrors.filter((e) => !e.includes('400'));
        clean(watched, 'maintenance');
      } finally {
        await context.close();
      }
    });
  });

  describe('token mode', () => {
    const t = tempDir('argus-browser-');
    const tokens = { AUTH_MODE: 'token', ENROLL_TOKEN: 'enroll-token-0123456789', ADMIN_TOKEN: 'admin-token-0123456789', READ_TOKEN: 'read-token-0123456789' };
    let m: MasterProcess;
    before(async () => {
      m = await startMaster(t.dir, tokens);
      await fleet(m, { authorization: `Bearer ${tokens.ADMIN_TOKEN}` });
      await requestFresh('POST', `${m.api}/maintenance`, { selector: 'rack=7', reason: 'firmware', duration_seconds: 3600 }, { authorization: `Bearer ${tokens.ADMIN_TOKEN}` });
    });
    after(async () => {
      await stopMaster(m);
      t.cleanup();
    });

    it('lets the read token see the windows but not make or end one', async () => {
      const { context, page, watched } = await watchedPage(browser);
      try {
        await page.goto(`${m.base}/ui/maintenance`);
        await page.getByLabel('Token').fill(tokens.READ_TOKEN);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(/\/ui\/maintenance$/);
        await page.locator('#M1').getByText('firmware').waitFor();
        assert.equal(await page.locator('#M1').getByText('admin').count(), 1, 'made by the admin token');
        assert.equal(await page.getByRole('button', { name: 'Start maintenance' }).count(), 0);
        assert.equal(await page.getByRole('button', { name: 'End M1' }).count(), 0);
        const refused = await page.evaluate(async () => (await fetch('/ui/maintenance/M1/end', { method: 'POST' })).status);
        assert.equal(refused, 403);
        watched.consoleErrors = watched.consoleErrors.filter((e) => !e.includes('403'));
        clean(watched, 'read token');
      } finally {
        await context.close();
      }
    });
  });
});
