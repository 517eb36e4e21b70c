// Part `scale`: 10,000 and 100,000 nodes: sweeps (quiet and everything offline, with their events),
// nodes.json, GET /nodes and http_sd, memory, start-up.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startMaster, stopMaster } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { call, memoryMiB, seed } from '../lib/fleet.js';
import { log, masterEnv, median, workers } from '../lib/options.js';
import { sweepsAndNodesJson } from '../lib/measure.js';

export async function scale(count: number) {
  log(`scale: ${count} nodes`);
  const t = tempDir('argus-bench-');
  try {
    const dbPath = join(t.dir, 'master/db.sqlite3');
    const seededAt = Date.now();
    const seedStart = performance.now();
    seed(dbPath, count, seededAt);
    const seedMs = performance.now() - seedStart;

    const { sweepQuiet, sweepAllOffline, nodesJson } = sweepsAndNodesJson(dbPath, seededAt, t.dir);

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
        nodesJson: { buildMs: Number(nodesJson.buildMs.toFixed(1)), publishMs: nodesJson.publish.ms, publishMaxStallMs: nodesJson.publish.maxStallMs, bytes: nodesJson.bytes, onDiskBytes: statSync(nodesJson.path).size },
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
