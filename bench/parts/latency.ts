// Part `latency` (issue 14, §1): status reports at the rates fleets really send — 1,700/s (100,000 agents
// a minute) and 3,000/s (180,000) — over --latency-nodes (100,000) seeded nodes, open loop (requests on
// a fixed schedule, latency from the scheduled time: bench/lib/open-loop.ts), 30 connections, for
// --latency-seconds (60) each; the bare-http ceiling (bench/ceiling.ts) measured the same way right
// before the master at each rate. The master runs with its defaults (2 workers, a sweep every 30 s, so
// each run includes sweeps, and the nodes.json rewrites of any change).
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, startMaster, stopMaster } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { seed } from '../lib/fleet.js';
import { openLoopReports, type OpenLoopResult } from '../lib/open-loop.js';
import { log, masterEnv } from '../lib/options.js';

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

export async function latency(nodes: number, seconds: number, rates: number[] = [1700, 3000]) {
  log(`latency: open loop at ${rates.join(' and ')} reports/s over ${nodes} nodes, ${seconds} s each, ceiling first`);
  const t = tempDir('argus-bench-latency-');
  const ceilPort = await freePort();
  const ceiling: ChildProcess = fork(join(import.meta.dirname, '..', 'ceiling.ts'), [String(ceilPort)], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
  try {
    await new Promise((r) => ceiling.once('message', r));
    seed(join(t.dir, 'master/db.sqlite3'), nodes, Date.now());
    const m = await startMaster(t.dir, masterEnv());
    try {
      const out: Array<{ rate: number; ceiling: OpenLoopResult; master: OpenLoopResult; p50Ratio: number; p99Ratio: number }> = [];
      for (const rate of rates) {
        const c = await openLoopReports([`http://127.0.0.1:${ceilPort}`], { rate, seconds, nodes });
        const r = await openLoopReports([m.base], { rate, seconds, nodes });
        out.push({ rate, ceiling: c, master: r, p50Ratio: ratio(r.p50ms, c.p50ms), p99Ratio: ratio(r.p99ms, c.p99ms) });
        log(`  ${rate}/s: ceiling p50 ${c.p50ms} p99 ${c.p99ms} ms; master p50 ${r.p50ms} p99 ${r.p99ms} ms (${r.errors} errors); ratios ${out.at(-1)!.p50Ratio} / ${out.at(-1)!.p99Ratio}`);
      }
      return { nodes, seconds, clients: 30, target: 'p50 and p99 ≤ 1.5 × ceiling, 0 errors', runs: out };
    } finally {
      await stopMaster(m);
    }
  } finally {
    ceiling.kill();
    t.cleanup();
  }
}
