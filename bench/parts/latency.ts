// Part `latency` (issue 14, §1): status reports at the rates fleets really send — 1,700/s (100,000 agents
// a minute) and 3,000/s (180,000) — over --latency-nodes (100,000) seeded nodes, open loop (requests on
// a fixed schedule, latency from the scheduled time: bench/lib/open-loop.ts), 30 connections, for
// --latency-seconds (60) each; the bare-http ceiling (bench/ceiling.ts) measured the same way right
// before the master at each rate. Each server first takes 5 s of the same load unmeasured (JIT, caches,
// connections); the master's first 5 s after its start are given apart (`coldStart`). While a run is
// measured an online node's labels change every second, so nodes.json (100,000 nodes) is rebuilt and
// written about once a second; the master's sweep runs every 30 s. The master is measured with --latency-workers (2 and 1).
import { join } from 'node:path';
import { startMaster, stopMaster } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { call, seed } from '../lib/fleet.js';
import { startCeiling } from '../lib/measure.js';
import { openLoopReports, type OpenLoopResult } from '../lib/open-loop.js';
import { log, masterEnv } from '../lib/options.js';

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
const WARM_UP_SECONDS = 5;

/** The master's counter `name` summed over its label sets (0 when absent). */
async function counter(base: string, name: string): Promise<number> {
  const text = (await call(base, 'GET', '/metrics')).text;
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
}

/** A label change of an online node every second (each rewrites nodes.json) until `stop()` (bounded by `seconds`). */
export function labelChangesEverySecond(api: string, seconds: number): { stop(): Promise<number> } {
  let n = 0;
  let stopped = false;
  const loop = (async () => {
    for (let i = 0; i < seconds && !stopped; i++) {
      await call(api, 'PUT', `/nodes/A${1 + i}/config`, { label: ['gpu', `latency-${Date.now()}`] });
      n++;
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return { async stop() { stopped = true; await loop; return n; } };
}

export async function latency(nodes: number, seconds: number, rates: number[] = [1700, 3000], workerCounts: number[] = [2, 1]) {
  log(`latency: open loop at ${rates.join(' and ')} reports/s over ${nodes} nodes, ${seconds} s each (after ${WARM_UP_SECONDS} s unmeasured), ceiling first; master with ${workerCounts.join(' and ')} workers`);
  const t = tempDir('argus-bench-latency-');
  const ceiling = await startCeiling();
  const ceilBase = ceiling.base;
  type Run = { rate: number; ceiling: ReturnType<typeof brief>; master: ReturnType<typeof brief>; p50Ratio: number; p99Ratio: number; labelChanges: number; nodesJsonWrites: number };
  const out: Array<{ workers: number; coldStart: { rate: number; p99ms: number; maxMs: number; firstSecondsP99: number[] }; runs: Run[] }> = [];
  const brief = (r: OpenLoopResult) => { const { perSecond, ...rest } = r; return { ...rest, perSecondP99: perSecond.map((s) => s.p99ms) }; };
  try {
    for (const workers of workerCounts) {
      seed(join(t.dir, `w${workers}/master/db.sqlite3`), nodes, Date.now());
      const m = await startMaster(join(t.dir, `w${workers}`), masterEnv({ MASTER_WORKERS: String(workers) }));
      try {
        const runs: Run[] = [];
        const cold = await openLoopReports([m.base], { rate: rates[0]!, seconds: WARM_UP_SECONDS, nodes });
        const coldStart = { rate: rates[0]!, p99ms: cold.p99ms, maxMs: cold.maxMs, firstSecondsP99: cold.perSecond.map((s) => s.p99ms) };
        log(`  ${workers} worker(s), first ${WARM_UP_SECONDS} s after start at ${rates[0]}/s: p99 ${cold.p99ms} ms, per second ${coldStart.firstSecondsP99.join(' / ')}`);
        for (const rate of rates) {
          await openLoopReports([ceilBase], { rate, seconds: WARM_UP_SECONDS, nodes });
          const c = await openLoopReports([ceilBase], { rate, seconds, nodes });
          await openLoopReports([m.base], { rate, seconds: WARM_UP_SECONDS, nodes });
          const writesBefore = await counter(m.base, 'argus_master_published_file_writes_total');
          const changes = labelChangesEverySecond(m.api, seconds);
          const r = await openLoopReports([m.base], { rate, seconds, nodes });
          const labelChanges = await changes.stop();
          const nodesJsonWrites = (await counter(m.base, 'argus_master_published_file_writes_total')) - writesBefore;
          runs.push({ rate, ceiling: brief(c), master: brief(r), p50Ratio: ratio(r.p50ms, c.p50ms), p99Ratio: ratio(r.p99ms, c.p99ms), labelChanges, nodesJsonWrites });
          const worst = [...r.perSecond].sort((a, b) => b.p99ms - a.p99ms)[0]!;
          log(`  ${workers} worker(s) ${rate}/s: ceiling p50 ${c.p50ms} p99 ${c.p99ms} ms; master p50 ${r.p50ms} p99 ${r.p99ms} ms (${r.errors} errors, worst second ${worst.second}: p99 ${worst.p99ms}); ratios ${runs.at(-1)!.p50Ratio} / ${runs.at(-1)!.p99Ratio}; ${labelChanges} label changes, ${nodesJsonWrites} published-file writes`);
        }
        out.push({ workers, coldStart, runs });
      } finally {
        await stopMaster(m);
      }
    }
    return { nodes, seconds, warmUpSeconds: WARM_UP_SECONDS, clients: 30, target: 'p50 and p99 ≤ 1.5 × ceiling, 0 errors', masters: out };
  } finally {
    ceiling.stop();
    t.cleanup();
  }
}
