// The sweeps and the nodes.json publish of bench/lib/measure.ts `sweepsAndNodesJson`, in a process of
// their own, as the master's primary runs them (its scheduler's sweep, WAL checkpoints in their thread);
// prints a SweepsResult as JSON on stdout:
//   node --import tsx bench/sweeps-child.ts DB_PATH SEEDED_AT_MS DIR [MAINTENANCE_SELECTOR]
// With a selector, a maintenance window for it is active throughout (SPEC §13), and the maintenance
// pass is timed too: at rest, and right after the sweep that took every node offline.
import { join } from 'node:path';
import { createManualClock } from '../src/clock.js';
import { createSweeping } from '../src/sweeping/sweeping.js';
import { openSqliteStore } from '../src/storage/sqlite/index.js';
import { createFilePublisher } from '../src/publish/published-file.js';
import { databaseBytes, timed } from './lib/fleet.js';
import type { SweepsResult } from './lib/measure.js';
import { silent } from './lib/options.js';
import { parseSelector } from '../src/domain/selector.js';

const [dbPath, seededAt, dir, maintenanceSelector] = process.argv.slice(2) as [string, string, string, string | undefined];

const store = openSqliteStore({ path: dbPath, walCheckpoints: 'thread' });
try {
  const clock = createManualClock(Number(seededAt));
  const sweeping = createSweeping({ store, clock, thresholds: { onlineWithinMs: 120_000, offlineAfterMs: 180_000 }, logger: silent });
  let maintenance: SweepsResult['maintenance'];
  if (maintenanceSelector) {
    const selector = parseSelector(maintenanceSelector);
    await store.createWindow({ selectorText: maintenanceSelector, selector, nodes: [], reason: 'bench', actor: 'bench', startsAtMs: clock.now(), endsAtMs: clock.now() + 86_400_000 }, clock.now());
    const start = await timed(() => store.applyMaintenance(clock.now(), true));
    const atRest = await timed(() => store.applyMaintenance(clock.now(), true));
    maintenance = { selector: maintenanceSelector, inMaintenance: (await store.fleetHealth()).inMaintenance, start, atRest, afterAllOffline: atRest };
  }
  clock.advance(30_000);
  // As the scheduler sweeps: keeping no transitions (a million kept objects made garbage collections of
  // up to 36 ms in the sweep).
  const sweepQuiet = await timed(() => sweeping.sweep({ collect: false })); // nothing changes (the usual sweep)
  clock.advance(200_000);
  const sweepAllOffline = await timed(() => sweeping.sweep({ collect: false }));
  if (maintenance) maintenance.afterAllOffline = await timed(() => store.applyMaintenance(clock.now(), true));
  const bytesAfterSweep = databaseBytes(dbPath);
  // Outside the group commit (whose connection waits for no lock): the checkpoint thread may hold the lock.
  store.db.pragma('busy_timeout = 10000');
  store.db.prepare("UPDATE nodes SET status = 'online'").run();
  const path = join(dir, 'nodes.json');
  const publisher = createFilePublisher({ name: 'nodes.json', path, read: () => store.nodesFileDocument(), render: (d: { parts: Buffer[] }) => d.parts, logger: silent });
  const buildStart = performance.now();
  const bytes = Buffer.concat((await store.nodesFileDocument()).parts).length;
  const buildMs = performance.now() - buildStart;
  const publish = await timed(() => publisher.publish());
  const result: SweepsResult = { sweepQuiet, sweepAllOffline, bytesAfterSweep, nodesJson: { buildMs, publish, bytes, path }, ...(maintenance ? { maintenance } : {}) };
  process.stdout.write(JSON.stringify(result));
} finally {
  await store.close();
}
