// Part `dashboard` (issue 12): the dashboard over --dashboard-nodes (100,000) seeded nodes, in Debian's
// Chromium through playwright-core, against the built master (2 workers):
//   - navigation to /ui/ until the table's 50th row is in the page (5 loads, a fresh page each);
//   - a search typed in the box until the table shows its result (5 searches);
//   - the page's memory (JS heap, DOM nodes) after load and after 60 live refreshes while nodes change:
//     bounded by the page, not by the fleet;
//   - GET /ui/fragments/fleet (what every open dashboard fetches on a change), sequential: p50, p99;
//   - status reports (wrk) with 20 open dashboards against runs without, right before and after:
//     the master's CPU per 1,000 reports.
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startMaster, stopMaster, type MasterProcess } from '../../test/e2e/harness.js';
import { browserMissing, launchChromium } from '../../test/helpers/browser.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { call, seed } from '../lib/fleet.js';
import { latency, percentile, reportsWithCpu } from '../lib/measure.js';
import { log, masterEnv, median } from '../lib/options.js';

/** Milliseconds from navigation to the table's last row of the first page being in the DOM. */
async function timeToTable(browser: Browser, url: string): Promise<number> {
  const page = await browser.newPage();
  try {
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await page.locator('table.nodes tbody tr').nth(49).waitFor({ state: 'attached', timeout: 10_000 });
    return performance.now() - t0;
  } finally {
    await page.close();
  }
}

/** The page's JS heap in use (MiB) and DOM node count, from Chromium's own metrics. */
async function pageMemory(page: Page): Promise<{ jsHeapMiB: number; domNodes: number; elements: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
  await cdp.detach();
  // Nodes counts what the renderer still holds (detached ones too, until collected); elements, the document's.
  const elements = await page.evaluate(() => (globalThis as unknown as { document: { getElementsByTagName(t: string): { length: number } } }).document.getElementsByTagName('*').length);
  return { jsHeapMiB: Number((get('JSHeapUsedSize') / 2 ** 20).toFixed(2)), domNodes: get('Nodes'), elements };
}

/** Makes `count` online nodes go offline (by an admin's label change each, so events flow) — a change the pages follow. */
async function churn(m: MasterProcess, round: number, count: number) {
  for (let i = 1; i <= count; i++) await call(m.base, 'PUT', `/api/v1/master/nodes/A${i}/config`, { label: ['gpu', `churn-${round}`] });
}

export async function dashboard(count: number) {
  const missing = browserMissing();
  if (missing) {
    log(`dashboard: ${missing}`);
    return { skipped: missing };
  }
  log(`dashboard: ${count} nodes, Chromium`);
  const t = tempDir('argus-bench-');
  let browser: Browser | null = null;
  try {
    seed(join(t.dir, 'master/db.sqlite3'), count, Date.now());
    const m = await startMaster(t.dir, masterEnv({ MASTER_WORKERS: '2' }));
    try {
      browser = await launchChromium();
      await timeToTable(browser, `${m.base}/ui/`); // warm-up: caches, JIT
      const loads: number[] = [];
      for (let i = 0; i < 5; i++) loads.push(await timeToTable(browser, `${m.base}/ui/`));

      const page = await browser.newPage();
      await page.goto(`${m.base}/ui/`);
      await page.locator('#live[data-state="open"]').waitFor({ timeout: 10_000 });
      const searches: number[] = [];
      for (let i = 0; i < 5; i++) {
        const wanted = `seed-${Math.floor(count / 2) + i * 7919}`;
        const t0 = performance.now();
        await page.getByRole('searchbox', { name: 'Search' }).fill(wanted);
        await page.keyboard.press('Enter');
        await page.locator('table.nodes tbody tr td:nth-child(2)', { hasText: new RegExp(`^${wanted}$`) }).first().waitFor({ timeout: 10_000 });
        searches.push(performance.now() - t0);
      }
      await page.goto(`${m.base}/ui/`);
      await page.locator('#live[data-state="open"]').waitFor({ timeout: 10_000 });
      const afterLoad = await pageMemory(page);
      // 60 live refreshes: a change every 400 ms (the stream coalesces to ≤ 3/s), the page re-fetching its region each time.
      let refreshes = 0;
      page.on('response', (r) => { if (r.url().includes('/ui/fragments/fleet')) refreshes++; });
      for (let round = 0; round < 120 && refreshes < 60; round++) {
        await churn(m, round, 1);
        await new Promise((r) => setTimeout(r, 400));
      }
      const afterRefreshes = { ...(await pageMemory(page)), refreshes };
      await page.close();

      const fragment = await latency(m.base, () => '/ui/fragments/fleet', 200);
      const fragmentOffline = await latency(m.base, () => '/ui/fragments/fleet?status=offline', 100);

      // Status reports that change nothing, with 20 dashboards open on the overview (bracketed).
      await reportsWithCpu(m, 1000); // warm-up
      const before = await reportsWithCpu(m, 1000);
      const pages = await Promise.all(Array.from({ length: 20 }, () => browser!.newPage()));
      for (const p of pages) {
        await p.goto(`${m.base}/ui/`);
        await p.locator('#live[data-state="open"]').waitFor({ timeout: 10_000 });
      }
      const with20 = await reportsWithCpu(m, 1000);
      for (const p of pages) await p.close();
      await new Promise((r) => setTimeout(r, 500));
      const after = await reportsWithCpu(m, 1000);
      const none = { rps: (before.rps + after.rps) / 2, cpuMsPer1000: (before.cpuMsPer1000 + after.cpuMsPer1000) / 2 };
      return {
        nodes: count,
        firstPageMs: { median: Number(median(loads).toFixed(1)), p100: Number(Math.max(...loads).toFixed(1)), runs: loads.map((x) => Number(x.toFixed(1))) },
        searchMs: { median: Number(median(searches).toFixed(1)), max: Number(Math.max(...searches).toFixed(1)), p99: percentile(searches, 99) },
        pageMemory: { afterLoad, afterRefreshes },
        fragmentFleet: fragment,
        fragmentOffline,
        statusReports: {
          noDashboards: { ...none, before, after },
          with20Dashboards: with20,
          cpuIncrease: Number((with20.cpuMsPer1000 / none.cpuMsPer1000 - 1).toFixed(3)),
        },
      };
    } finally {
      await stopMaster(m);
    }
  } finally {
    await browser?.close();
    t.cleanup();
  }
}
