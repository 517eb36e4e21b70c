// Part `selectors` (issue 24: SPEC §12–§14) at --selector-nodes (100,000) seeded nodes, every one with a
// key/value label `rack=<n mod 100>` (a rack is 1% of the fleet) and `gpu`: pages of 50 of the built
// master with its defaults, plain and selected (a label, a status, and `meta_data` alone, which reads
// every node's JSON), each after a change that moves the change version (a label toggled on A1), as a
// dashboard or a script sees them on a fleet that changes; and the sweeps (bench/sweeps-child.ts) of the
// same fleet without a maintenance window and with one covering rack 7 (1,000 nodes), with the
// maintenance pass's own times. Status reports with 1% of them changing health are the throughput part's
// `statusHealth` (side by side with --baseline there).
import { join } from 'node:path';
import { startMaster, stopMaster } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { call, seed } from '../lib/fleet.js';
import { percentile, sweepsAndNodesJson } from '../lib/measure.js';
import { log, masterEnv } from '../lib/options.js';

const PAGES = 200;
const WARM_UP = 30;

/** Sequential GETs of `path`, each right after a label change (a new change version): p50, p99, max (ms). */
async function afterChanges(base: string, path: string, count: number) {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const toggled = await call(base, 'PUT', '/api/v1/master/nodes/A1/config', { label: i % 2 === 0 ? ['gpu', 'rack=1', 'x'] : ['gpu', 'rack=1'] });
    if (toggled.status !== 200) throw new Error(`a label change answered ${toggled.status}`);
    const r = await call(base, 'GET', path);
    if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}: ${r.text.slice(0, 200)}`);
    ms.push(r.ms);
  }
  return { p50ms: percentile(ms, 50), p99ms: percentile(ms, 99), maxMs: percentile(ms, 100), requests: count };
}

export async function selectors(nodes: number) {
  log(`selectors: pages of 50 at ${nodes} nodes (each after a change), and sweeps with and without a 1% maintenance window`);
  const t = tempDir('argus-bench-selectors-');
  try {
    const seededAt = Date.now();
    seed(join(t.dir, 'pages/master/db.sqlite3'), nodes, seededAt, { racks: 100 });
    const m = await startMaster(join(t.dir, 'pages'), masterEnv());
    const pages: Record<string, unknown> = {};
    try {
      const paths: Array<[string, string]> = [
        ['plain', '/api/v1/master/nodes?limit=50'],
        ['label rack=7 (1%)', `/api/v1/master/nodes?limit=50&selector=${encodeURIComponent('rack=7')}`],
        ['status=online', `/api/v1/master/nodes?limit=50&selector=${encodeURIComponent('status=online')}`],
        ['label and meta', `/api/v1/master/nodes?limit=50&selector=${encodeURIComponent('rack=7,meta.gpu_number>=0')}`],
        ['meta_data only (a scan)', `/api/v1/master/nodes?limit=50&selector=${encodeURIComponent('meta.gpu_number>=0')}`],
        // Issue 27: statistics by a field (target: a grouping under 300 ms at 100,000 nodes).
        ['statistics by meta.user', '/api/v1/master/nodes/statistics?by=meta.user'],
        ['statistics by rack (a label key)', '/api/v1/master/nodes/statistics?by=rack'],
      ];
      for (const [, path] of paths) await afterChanges(m.base, path, WARM_UP);
      for (const [name, path] of paths) {
        pages[name] = await afterChanges(m.base, path, PAGES);
        log(`  ${name}: ${JSON.stringify(pages[name])}`);
      }
    } finally {
      await stopMaster(m);
    }
    const sweeps: Record<string, unknown> = {};
    for (const [name, selector] of [['without maintenance', undefined], ['rack 7 in maintenance (1,000 nodes)', 'rack=7']] as const) {
      const dir = join(t.dir, `sweeps-${selector ? 'maint' : 'plain'}`);
      seed(join(dir, 'db.sqlite3'), nodes, seededAt, { racks: 100 });
      const r = sweepsAndNodesJson(join(dir, 'db.sqlite3'), seededAt, dir, selector);
      sweeps[name] = { sweepQuiet: r.sweepQuiet, sweepAllOffline: r.sweepAllOffline, maintenance: r.maintenance };
      log(`  sweeps ${name}: quiet ${r.sweepQuiet.ms} ms (stall ${r.sweepQuiet.maxStallMs}), all offline ${r.sweepAllOffline.ms} ms (stall ${r.sweepAllOffline.maxStallMs})${r.maintenance ? `; maintenance pass: start ${r.maintenance.start.ms} ms, at rest ${r.maintenance.atRest.ms} ms, after the all-offline sweep ${r.maintenance.afterAllOffline.ms} ms (${r.maintenance.inMaintenance} nodes in it)` : ''}`);
    }
    return { nodes, pagesEach: PAGES, pages, sweeps, targets: 'selected page p99 within 2 ms of the plain page; meta_data scan < 200 ms; sweeps with 1,000 nodes in maintenance as fast as without' };
  } finally {
    t.cleanup();
  }
}
