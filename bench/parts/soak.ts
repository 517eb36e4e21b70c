// Part `soak`: 100,000 simulated agents reporting once a minute for --soak-seconds.
import { join } from 'node:path';
import { startMaster, stopMaster } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { call, memoryMiB, seed, watchStalls } from '../lib/fleet.js';
import { log, masterEnv, soakSeconds, workers } from '../lib/options.js';

export async function soak() {
  const agents = 100_000;
  log(`soak: ${agents} agents, one report per 60 s each (±2 s jitter), for ${soakSeconds} s`);
  const t = tempDir('argus-bench-');
  try {
    seed(join(t.dir, 'master/db.sqlite3'), agents, Date.now());
    const m = await startMaster(t.dir, masterEnv());
    try {
      // Each agent's first report falls in the first minute; then every 60 s ± 2 s. Agents wait in
      // 10 ms slots of a ring (no sorting, O(1) per report), so the generator itself stays responsive.
      const SLOT_MS = 10;
      const ring: number[][] = Array.from({ length: Math.ceil(70_000 / SLOT_MS) }, () => []);
      const slotOf = (atMs: number) => Math.floor(atMs / SLOT_MS) % ring.length;
      for (let a = 0; a < agents; a++) ring[slotOf(Math.random() * 60_000)]!.push(a);
      const started = performance.now();
      const endAt = soakSeconds * 1000;
      const latencies: number[] = [];
      let errors = 0;
      let sent = 0;
      let inFlight = 0;
      let maxInFlight = 0;
      const health = { 'log-fluentbit': { status: 'healthy' }, 'metric-node-exporter': { status: 'healthy' } };
      // The load generator's own event-loop stalls, so its delays are not blamed on the master.
      const stalls = watchStalls();
      let nextSlotAt = 0; // start time (ms since `started`) of the next slot to serve
      while (performance.now() - started < endAt) {
        const now = performance.now() - started;
        const body = { timestamp: new Date().toISOString(), health };
        for (; nextSlotAt <= now; nextSlotAt += SLOT_MS) {
          const slot = ring[slotOf(nextSlotAt)]!;
          ring[slotOf(nextSlotAt)] = [];
          for (const a of slot) {
            ring[slotOf(nextSlotAt + 60_000 + (Math.random() - 0.5) * 4_000)]!.push(a);
            sent++;
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            void call(m.base, 'PUT', `/api/v1/master/nodes/A${a + 1}/status`, body).then((r) => {
              inFlight--;
              if (r.status !== 200) errors++;
              else latencies.push(r.ms);
            });
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      const clientMaxStallMs = stalls.stop();
      const drainUntil = performance.now() + 30_000;
      while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
      const stats = JSON.parse((await call(m.base, 'GET', '/api/v1/master/nodes/statistics')).text) as { total: number; status_statistics: Array<{ status: string; count: number }> };
      const metrics = (await call(m.base, 'GET', '/metrics')).text;
      const toOffline = [...metrics.matchAll(/^argus_master_status_transitions_total\{from="online",to="offline"[^}]*\} (\d+)/gm)].reduce((a, x) => a + Number(x[1]), 0);
      latencies.sort((a, b) => a - b);
      const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN).toFixed(2));
      return {
        agents,
        seconds: soakSeconds,
        sent,
        ratePerSecond: Math.round(sent / soakSeconds),
        errors,
        p50ms: pct(0.5),
        p99ms: pct(0.99),
        maxMs: Number((latencies.at(-1) ?? Number.NaN).toFixed(2)),
        maxInFlight,
        clientMaxStallMs: Number(clientMaxStallMs.toFixed(1)),
        offlineAtEnd: stats.status_statistics.find((s) => s.status === 'offline')?.count ?? 0,
        onlineToOfflineTransitions: toOffline,
        memoryMiB: memoryMiB(m),
        workers: workers || 'default',
      };
    } finally {
      await stopMaster(m);
    }
  } finally {
    t.cleanup();
  }
}
