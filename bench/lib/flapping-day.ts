// A simulated day of a fleet in which 1% of the nodes flap (issue 14 §3: the database's and the events
// table's growth). In-process, on a manual clock, in the sweeper's 30 s steps: the flapping nodes (every
// hundredth seq) each report once every 10 minutes (offline → online, an event) and go offline 3–3.5
// minutes later at a sweep (an event); after 5 transitions within the hour each is marked flapping (an
// event). Retention runs after every sweep as the master's sweeper runs it (30 days, 1,000 events a node:
// neither bites on the first day). The other 99% report as usual in a real fleet, which adds no events
// and no rows: here their last report is set in the future once so that they simply stay online.
// Bounded: hours × 120 steps.
import { createManualClock } from '../../src/clock.js';
import { createNodes } from '../../src/nodes/index.js';
import { createSweeping } from '../../src/sweeping/sweeping.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import { databaseBytes } from './fleet.js';
import { log, silent } from './options.js';

const STEP_MS = 30_000;
const PERIOD_MS = 600_000;

export async function flappingDay(dbPath: string, nodes: number, hours: number) {
  const fileBytes = () => databaseBytes(dbPath);
  const store = openSqliteStore({ path: dbPath, walCheckpoints: 'thread' });
  try {
    const startMs = Date.now();
    store.db.prepare("DELETE FROM kv WHERE key = 'state:sweeper'").run(); // no restart grace from an earlier run
    store.db.prepare("UPDATE nodes SET status = 'online', last_report = CASE WHEN seq % 100 = 0 THEN @now ELSE @future END").run({ now: startMs, future: startMs + 10 * 86_400_000 });
    const clock = createManualClock(startMs);
    const common = { store, clock, thresholds: { onlineWithinMs: 120_000, offlineAfterMs: 180_000 }, logger: silent, flap: { transitions: 5, windowMs: 3_600_000 } };
    const use = createNodes({ ...common, idPrefix: 'A' });
    const sweeping = createSweeping({ ...common, eventRetention: { maxAgeMs: 30 * 86_400_000, maxPerNode: 1000 } });
    const count = () => (store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    const flapping = Array.from({ length: Math.floor(nodes / 100) }, (_, i) => 100 * (i + 1));
    const before = { events: count(), bytes: fileBytes() };
    const perHour: Array<{ hour: number; events: number; bytes: number }> = [];
    const wallStart = performance.now();
    let reports = 0;
    clock.advance(STEP_MS * 7); // past the restart grace (one offline threshold)
    for (let step = 0; step < hours * 120; step++) {
      const t = clock.now() - startMs;
      // Each flapping node reports in the one step of its 10-minute period given by its seq.
      const due = flapping.filter((seq) => Math.floor(((t + (seq / 100) * 7_919) % PERIOD_MS) / STEP_MS) === 0);
      await Promise.all(due.map((seq) => use.report(`A${seq}`, { agentTimestampMs: clock.now(), health: { 'log-fluentbit': { status: 'healthy' } } })));
      reports += due.length;
      await sweeping.sweep();
      await sweeping.applyRetention();
      if ((step + 1) % 120 === 0) {
        perHour.push({ hour: (step + 1) / 120, events: count() - before.events, bytes: fileBytes() - before.bytes });
        if (perHour.length % 6 === 0) log(`    simulated hour ${perHour.length}: +${perHour.at(-1)!.events} events, +${(perHour.at(-1)!.bytes / 1e6).toFixed(1)} MB`);
      }
      clock.advance(STEP_MS);
    }
    const after = { events: count(), bytes: fileBytes() };
    return {
      hours, flappingNodes: flapping.length, reports,
      events: after.events - before.events,
      bytesGrowth: after.bytes - before.bytes,
      bytesPerEvent: Math.round((after.bytes - before.bytes) / Math.max(1, after.events - before.events)),
      databaseBytes: { before: before.bytes, after: after.bytes },
      perHour, wallSeconds: Math.round((performance.now() - wallStart) / 1000),
    };
  } finally {
    await store.close();
  }
}
