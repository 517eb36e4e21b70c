// Part `availability` (issue 27, SPEC §17) at --availability-nodes (100,000) seeded nodes with thirty
// days of events, 1% of them flapping (bench/lib/history-seed.ts: what the master holds with its
// defaults), against the built master with its defaults:
//   - GET /availability?window=30d (the fleet's 30-day availability: every node's sums for the total,
//     and a page of 50), by meta.user, and the whole fleet as CSV;
//   - a grouping: GET /nodes/statistics?by=meta.user and ?by=rack, each right after a change (a label
//     toggled: a new change version, nothing cached) and at rest;
//   - the history chart's data: GET /fleet/history for 24 h and 7 d, after a change;
//   - in Chromium, navigation to /ui/ until the capacity and the chart are visible (5 loads).
// Targets: 30-day availability < 2 s, a grouping < 300 ms, the history < 300 ms, the overview < 1 s.
// Bounded: a fixed count of requests each.
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startMaster, stopMaster, type MasterProcess } from '../../test/e2e/harness.js';
import { browserMissing, launchChromium } from '../../test/helpers/browser.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { call, seed } from '../lib/fleet.js';
import { seedHistory } from '../lib/history-seed.js';
import { percentile } from '../lib/measure.js';
import { log, masterEnv } from '../lib/options.js';

/** `count` sequential GETs of `path` (each after a label change when `afterChange`): p50, p99, max (ms) and bytes. */
async function gets(m: MasterProcess, path: string, count: number, afterChange: boolean) {
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    if (afterChange) {
      const toggled = await call(m.base, 'PUT', '/api/v1/master/nodes/A1/config', { label: i % 2 === 0 ? ['gpu', 'rack=1', 'x'] : ['gpu', 'rack=1'] });
      if (toggled.status !== 200) throw new Error(`a label change answered ${toggled.status}`);
    }
    const r = await call(m.base, 'GET', path);
    if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}: ${r.text.slice(0, 200)}`);
    ms.push(r.ms);
    bytes = Buffer.byteLength(r.text);
  }
  return { p50ms: percentile(ms, 50), p99ms: percentile(ms, 99), maxMs: percentile(ms, 100), requests: count, bytes };
}

/** Milliseconds from navigation to /ui/ until the capacity and the chart are visible. */
async function timeToOverview(browser: Browser, url: string): Promise<number> {
  const page = await browser.newPage();
  try {
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await page.locator('.capacity .cap.gpu [data-online]').waitFor({ state: 'visible', timeout: 10_000 });
    await page.locator('.chart svg polyline.series.online').waitFor({ state: 'visible', timeout: 10_000 });
    return performance.now() - t0;
  } finally {
    await page.close();
  }
}

async function overviewInChromium(m: MasterProcess) {
  const missing = browserMissing();
  if (missing) {
    log(`  overview in Chromium: ${missing}`);
    return { skipped: missing };
  }
  const browser = await launchChromium();
  try {
    await timeToOverview(browser, `${m.base}/ui/`); // warm-up
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) loads.push(await timeToOverview(browser, `${m.base}/ui/`));
    return { loadsMs: loads.map((x) => Math.round(x)), p50ms: Math.round(percentile(loads, 50)), maxMs: Math.round(percentile(loads, 100)) };
  } finally {
    await browser.close();
  }
}

export async function availability(nodes: number) {
  log(`availability: ${nodes} nodes with 30 days of events (1% flapping)`);
  const t = tempDir('argus-bench-availability-');
  try {
    const now = Date.now();
    seed(join(t.dir, 'master/db.sqlite3'), nodes, now, { racks: 100 });
    const seeded = seedHistory(join(t.dir, 'master/db.sqlite3'), nodes, now);
    log(`  seeded ${seeded.events} events (${seeded.flapping} flapping nodes, cut at 1,000 events each as the master's per-node limit does)`);
    const m = await startMaster(t.dir, masterEnv());
    const figures: Record<string, unknown> = {};
    try {
      const measure = async (name: string, path: string, count: number, afterChange: boolean) => {
        await gets(m, path, 2, afterChange); // warm-up
        figures[name] = await gets(m, path, count, afterChange);
        log(`  ${name}: ${JSON.stringify(figures[name])}`);
      };
      await measure('availability 30d, a page of 50 with the total', '/api/v1/master/availability?window=30d&limit=50', 10, false);
      await measure('availability 30d by meta.user', '/api/v1/master/availability?window=30d&by=meta.user', 10, false);
      await measure('availability 30d as CSV (every node)', '/api/v1/master/availability?window=30d&format=csv', 3, false);
      await measure('availability 24h, a page of 50 with the total', '/api/v1/master/availability?window=24h&limit=50', 10, false);
      await measure('statistics by meta.user, after a change', '/api/v1/master/nodes/statistics?by=meta.user', 40, true);
      await measure('statistics by rack, after a change', '/api/v1/master/nodes/statistics?by=rack', 40, true);
      await measure('statistics by meta.user, at rest', '/api/v1/master/nodes/statistics?by=meta.user', 40, false);
      await measure('fleet history 24h, after a change', '/api/v1/master/fleet/history?window=24h', 40, true);
      await measure('fleet history 7d, after a change', '/api/v1/master/fleet/history?window=7d', 40, true);
      figures['overview in Chromium (capacity and chart visible)'] = await overviewInChromium(m);
      log(`  overview in Chromium: ${JSON.stringify(figures['overview in Chromium (capacity and chart visible)'])}`);
    } finally {
      await stopMaster(m);
    }
    return { nodes, events: seeded.events, flappingNodes: seeded.flapping, figures, targets: '30-day availability < 2 s; a grouping < 300 ms; the history chart < 300 ms; the overview visible < 1 s' };
  } finally {
    t.cleanup();
  }
}
