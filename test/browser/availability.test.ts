// The dashboard's capacity, history chart and availability (SPEC §17) in a real Chromium against the
// built master on loopback: the capacity online of total, the chart following a node that goes offline
// live (no reload), the table by a grouping and its CSV, a node's availability on its page. Every test
// also asserts that no request left loopback and that the page logged no console error.
// A screenshot of the overview goes to docs/img/ with ARGUS_SCREENSHOTS=1.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { requestFresh, startMaster, stopMaster, waitFor, type MasterProcess } from '../e2e/harness.js';
import { assertClean as clean, browserMissing, launchChromium, watchedPage } from '../helpers/browser.js';
import { registrationBody, tempDir } from '../helpers/fixtures.js';

const missing = browserMissing();
if (missing && process.env.CI === 'true') throw new Error(`${missing} (CI refuses to skip them)`);
const SHOTS = process.env.ARGUS_SCREENSHOTS === '1' ? join(import.meta.dirname, '..', '..', 'docs', 'img') : null;

describe('dashboard: capacity, history and availability in Chromium', { skip: missing ?? false }, () => {
  let browser: Browser;
  const t = tempDir('argus-browser-');
  let m: MasterProcess;
  // A reporter keeps chosen nodes online (every 400 ms) until told otherwise.
  const reporting = new Set(['A1', 'A2', 'A3']);
  let reporter: NodeJS.Timeout | null = null;
  let stopped = false;
  before(async () => {
    browser = await launchChromium();
    m = await startMaster(t.dir);
    const users = ['alice', 'alice', 'bob', 'bob'];
    for (let i = 1; i <= 4; i++) {
      const meta = { hostname: `gpu-${i}`, ip: `10.0.0.${i}`, user: users[i - 1], gpu_number: 8, cpu_number: 64, memory_in_bytes: 512 * 2 ** 30 };
      assert.equal((await requestFresh('POST', `${m.api}/nodes`, registrationBody(`gpu-${i}`, { meta_data: meta }))).status, 201);
    }
    const tick = async () => {
      await Promise.all([...reporting].map((id) => requestFresh('PUT', `${m.api}/nodes/${id}/status`, { timestamp: new Date().toISOString(), health: { 'gpu-0': { status: 'healthy' } } }).catch(() => null)));
      if (!stopped) reporter = setTimeout(() => void tick(), 400);
    };
    await tick();
    await waitFor('3 nodes online', async () => (await requestFresh('GET', `${m.api}/nodes/statistics`)).body.status_statistics.find((s: { status: string }) => s.status === 'online')?.count === 3);
  });
  after(async () => {
    stopped = true;
    if (reporter) clearTimeout(reporter);
    await stopMaster(m);
    await browser?.close();
    t.cleanup();
  });

  it('shows the capacity online of total, and the chart follows a node going offline live', async () => {
    const { context, page, watched } = await watchedPage(browser);
    try {
      await page.goto(`${m.base}/ui/`);
      const gpus = page.locator('.capacity .cap.gpu');
      assert.equal(await gpus.locator('[data-online]').innerText(), '24');
      assert.equal(await gpus.locator('[data-total]').innerText(), '32');
      assert.equal(await page.locator('.capacity .cap.memory [data-online]').innerText(), '1.5 TiB');
      const now = page.locator('figcaption.chart-now');
      assert.equal(await now.getAttribute('data-online'), '3');
      assert.equal(await page.locator('.chart svg polyline.series').count(), 3, 'online, offline and degraded');
      await page.locator('#live[data-state="open"]').waitFor({ timeout: 5_000 });
      // A3 stops reporting: offline within the offline threshold (3 s); the page is not reloaded.
      reporting.delete('A3');
      await page.locator('figcaption.chart-now[data-offline="1"]').waitFor({ timeout: 10_000 });
      assert.equal(await now.getAttribute('data-online'), '2');
      assert.equal(await gpus.locator('[data-online]').innerText(), '16', 'the capacity follows too');
      await page.getByRole('link', { name: '7d' }).click();
      await page.locator('.chart svg[aria-label*="over the last 7d"]').waitFor();
      clean(watched, 'overview');
    } finally {
      await context.close();
    }
  });

  it('loads the availability table by a grouping, changes it, and downloads its CSV', async () => {
    const { context, page, watched } = await watchedPage(browser);
    try {
      await page.goto(`${m.base}/ui/`);
      const table = page.locator('table.availability');
      await table.waitFor();
      assert.deepEqual(await table.locator('tbody th').allInnerTexts(), ['alice', 'bob']);
      if (SHOTS) {
        mkdirSync(SHOTS, { recursive: true });
        // A tall viewport, and the caret left alone (hiding it injects a style the page's CSP refuses, a console error).
        await page.setViewportSize({ width: 1280, height: 1500 });
        await page.screenshot({ path: join(SHOTS, 'dashboard-availability.png'), caret: 'initial' });
      }
      await page.getByRole('textbox', { name: 'Group by' }).fill('type');
      await page.getByRole('combobox', { name: 'Window' }).selectOption('7d');
      await page.getByRole('button', { name: 'Show' }).click();
      await page.locator('table.availability caption', { hasText: 'over 7d by type' }).waitFor();
      assert.deepEqual(await table.locator('tbody th').allInnerTexts(), ['agent']);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
      assert.equal(download.suggestedFilename(), 'availability-7d-by-type.csv');
      const path = await download.path();
      const { readFileSync } = await import('node:fs');
      const csv = readFileSync(path, 'utf8').split('\r\n');
      assert.equal(csv[0], 'key,nodes,online_ratio,offline_seconds,incidents,maintenance_seconds');
      assert.match(csv[1]!, /^agent,4,0\.\d+,/);
      clean(watched, 'availability table');
    } finally {
      await context.close();
    }
  });

  it("shows a node's availability over 24 h, 7 d and 30 d on its page", async () => {
    const { context, page, watched } = await watchedPage(browser);
    try {
      await page.goto(`${m.base}/ui/nodes/A1`);
      const rows = page.locator('table.node-availability tbody tr');
      assert.deepEqual(await rows.locator('th').allInnerTexts(), ['24h', '7d', '30d']);
      assert.match(await rows.first().locator('td').first().innerText(), /^\d+\.\d{3} %$/);
      clean(watched, 'node page');
    } finally {
      await context.close();
    }
  });
});
