// Part `side` (issue 23): this build beside another built checkout (--baseline), at the open-loop rate a
// large fleet sends: 3,000 status reports/s over --latency-nodes (100,000) seeded nodes for
// --latency-seconds each, with a label change every second (nodes.json rebuilt meanwhile), both masters
// with the default settings. Each round measures both, alternating which goes first (neither always runs
// on the warmer machine); each measurement follows 5 s of the same load unmeasured. Each master has its
// own database seeded by its own build (its own schema version). Throughput side by side is the
// throughput part's (`--only throughput --baseline …`).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { requestFresh, startMaster, stopMaster, type MasterProcess } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { buildAt, seed } from '../lib/fleet.js';
import { openLoopReports } from '../lib/open-loop.js';
import { log, masterEnv, median } from '../lib/options.js';
import { labelChangesEverySecond } from './latency.js';

const WARM_UP_SECONDS = 5;

type Figure = { p50ms: number; p99ms: number; errors: number; cpuUsPerReport: number };

/** CPU time (user + system, ms) used so far by the processes of a master (its process group), from /proc. */
function cpuMs(m: MasterProcess): number {
  const pids = execFileSync('pgrep', ['-g', String(m.proc.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  const ticks = pids.reduce((sum, pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + Number(fields[11]) + Number(fields[12]);
    } catch {
      return sum; // gone meanwhile
    }
  }, 0);
  return ticks * 10; // USER_HZ is 100 on Linux
}

/**
 * One measurement: latency from the schedule, and the CPU time the master's processes spent per report
 * (a figure that, unlike throughput on a shared two-core box, does not move with what the neighbours do).
 */
async function measure(m: MasterProcess, rate: number, nodes: number, seconds: number): Promise<Figure> {
  await openLoopReports([m.base], { rate, seconds: WARM_UP_SECONDS, nodes });
  const changes = labelChangesEverySecond(m.api, seconds);
  const before = cpuMs(m);
  const r = await openLoopReports([m.base], { rate, seconds, nodes });
  const cpu = cpuMs(m) - before;
  await changes.stop();
  return { p50ms: r.p50ms, p99ms: r.p99ms, errors: r.errors, cpuUsPerReport: Number(((cpu * 1000) / r.sent).toFixed(1)) };
}

export async function sideBySide(baseline: string, nodes: number, seconds: number, rounds: number, rate = 3000, endpoints = 0) {
  if (!baseline) throw new Error('part side needs --baseline <a built checkout>');
  log(`side by side: open loop ${rate} reports/s over ${nodes} nodes, ${seconds} s each, ${rounds} rounds; baseline ${baseline}`);
  const t = tempDir('argus-bench-side-');
  const now = Date.now();
  seed(join(t.dir, 'ours/master/db.sqlite3'), nodes, now);
  seed(join(t.dir, 'base/master/db.sqlite3'), nodes, now, { build: await buildAt(baseline) });
  const ours = await startMaster(join(t.dir, 'ours'), masterEnv());
  const base = await startMaster(join(t.dir, 'base'), masterEnv(), undefined, join(baseline, 'dist', 'cli.js'));
  const runs: Array<{ round: number; ours: Figure; baseline: Figure }> = [];
  // With --endpoints N: N webhook endpoints on this build, to a receiver on loopback (answers 204).
  const sink = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  for (let i = 0; i < endpoints; i++) {
    await requestFresh('POST', `${ours.api}/notifications/endpoints`, { name: `bench-${i}`, url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook-${i}` });
  }
  if (endpoints > 0) log(`  ${endpoints} webhook endpoints configured on this build`);
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? [ours, base] : [base, ours];
      const got = new Map<MasterProcess, Figure>();
      for (const m of order) got.set(m, await measure(m, rate, nodes, seconds));
      runs.push({ round, ours: got.get(ours)!, baseline: got.get(base)! });
      const r = runs.at(-1)!;
      log(`  round ${round} (${round % 2 === 1 ? 'ours first' : 'baseline first'}): ours p50 ${r.ours.p50ms} p99 ${r.ours.p99ms} ms, ${r.ours.cpuUsPerReport} µs CPU/report (${r.ours.errors} errors); baseline p50 ${r.baseline.p50ms} p99 ${r.baseline.p99ms} ms, ${r.baseline.cpuUsPerReport} µs CPU/report (${r.baseline.errors} errors)`);
    }
  } finally {
    sink.closeAllConnections();
    sink.close();
    await stopMaster(ours);
    await stopMaster(base);
    t.cleanup();
  }
  const med = (pick: (r: (typeof runs)[number]) => number) => median(runs.map(pick));
  const summary = {
    rate, nodes, seconds, rounds, baseline, endpoints,
    ours: { p50ms: med((r) => r.ours.p50ms), p99ms: med((r) => r.ours.p99ms), cpuUsPerReport: med((r) => r.ours.cpuUsPerReport) },
    baselineFigures: { p50ms: med((r) => r.baseline.p50ms), p99ms: med((r) => r.baseline.p99ms), cpuUsPerReport: med((r) => r.baseline.cpuUsPerReport) },
    p99Ratio: Number((med((r) => r.ours.p99ms) / med((r) => r.baseline.p99ms)).toFixed(3)),
    cpuRatio: Number((med((r) => r.ours.cpuUsPerReport) / med((r) => r.baseline.cpuUsPerReport)).toFixed(3)),
    runs,
  };
  log(`  medians: ours p99 ${summary.ours.p99ms} ms, baseline ${summary.baselineFigures.p99ms} ms (ours/baseline ${summary.p99Ratio}); CPU per report ${summary.ours.cpuUsPerReport} vs ${summary.baselineFigures.cpuUsPerReport} µs (${summary.cpuRatio})`);
  return summary;
}
