// Part `scale`: 10,000 and 100,000 nodes: sweeps (quiet and everything offline, with their events),
// nodes.json, GET /nodes and http_sd, memory, start-up.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createManualClock } from '../../src/clock.js';
import { createRegistry } from '../../src/registry.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import { createFilePublisher } from '../../src/sweep/published-file.js';
import { freePort, startMaster, stopMaster } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { call, memoryMiB, seed, timed } from '../lib/fleet.js';
import { log, masterEnv, median, silent, workers } from '../lib/options.js';

export async function scale(count: number) {
  log(`scale: ${count} nodes`);
  const t = tempDir('argus-bench-');
  try {
    const dbPath = join(t.dir, 'master/db.sqlite3');
    const seededAt = Date.now();
    const seedStart = performance.now();
    seed(dbPath, count, seededAt);
    const seedMs = performance.now() - seedStart;

    // Sweeps in-process (as the primary runs them), with the event loop watched.
    const store = openSqliteStore({ path: dbPath });
    const clock = createManualClock(seededAt);
    const registry = createRegistry({ store, clock, thresholds: { onlineWithinMs: 120_000, offlineAfterMs: 180_000 }, idPrefix: 'A', logger: silent, onPublishedChange: () => undefined });
    clock.advance(30_000);
    const sweepQuiet = await timed(() => registry.sweep()); // nothing changes (the usual sweep)
    clock.advance(200_000); // past the grace and every threshold: every node goes offline at once
    const sweepAllOffline = await timed(() => registry.sweep());
    // nodes.json with every node online.
    store.db.prepare("UPDATE nodes SET status = 'online'").run();
    // As the master publishes it: the document built by the store, then written atomically.
    const publisher = createFilePublisher({ name: 'nodes.json', path: join(t.dir, 'nodes.json'), read: () => store.nodesFileDocument(), render: (d: { parts: Buffer[] }) => d.parts, logger: silent });
    const buildStart = performance.now();
    const content = Buffer.concat((await store.nodesFileDocument()).parts);
    const buildMs = performance.now() - buildStart;
    const publish = await timed(() => publisher.publish());
    await store.close();

    // The real process on the full database: start-up, memory, GET /nodes.
    const port = await freePort();
    const startAt = performance.now();
    const m = await startMaster(t.dir, masterEnv(), port);
    const startupMs = performance.now() - startAt;
    try {
      const memoryIdle = memoryMiB(m);
      const lat: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 10; i++) {
        const r = await call(m.base, 'GET', '/api/v1/master/nodes');
        if (r.status !== 200) throw new Error(`GET /nodes answered ${r.status}`);
        bytes = Buffer.byteLength(r.text);
        lat.push(r.ms);
      }
      const memoryAfterList = memoryMiB(m);
      // Prometheus http_sd of every node (as a Prometheus server polls it).
      const sdLat: number[] = [];
      let sdBytes = 0;
      for (let i = 0; i < 5; i++) {
        const r = await call(m.base, 'GET', '/api/v1/master/sd/prometheus');
        if (r.status !== 200) throw new Error(`GET /sd/prometheus answered ${r.status}`);
        sdBytes = Buffer.byteLength(r.text);
        sdLat.push(r.ms);
      }
      return {
        nodes: count,
        seedMs: Math.round(seedMs),
        sweepQuiet,
        sweepAllOffline,
        nodesJson: { buildMs: Number(buildMs.toFixed(1)), publishMs: publish.ms, publishMaxStallMs: publish.maxStallMs, bytes: Buffer.byteLength(content), onDiskBytes: statSync(join(t.dir, 'nodes.json')).size },
        getNodes: { p50ms: Number(median(lat).toFixed(1)), maxMs: Number(Math.max(...lat).toFixed(1)), bytes },
        httpSd: { p50ms: Number(median(sdLat).toFixed(1)), maxMs: Number(Math.max(...sdLat).toFixed(1)), bytes: sdBytes },
        startupMs: Math.round(startupMs),
        memoryMiB: { idle: memoryIdle, afterGetNodes: memoryAfterList, afterHttpSd: memoryMiB(m) },
        workers: workers || 'default',
      };
    } finally {
      await stopMaster(m);
    }
  } finally {
    t.cleanup();
  }
}
