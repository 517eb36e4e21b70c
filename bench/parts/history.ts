// Part `history` (issue 11): what the events, the filters and the stream cost.
//   - a sweep taking every node offline (brake off) writes an event per node: duration, event-loop stall;
//   - GET /nodes?label=…&limit=50 (a 1% shard and a label every node has) and GET /events?after=…&limit=1000
//     on the real process, sequential requests: p50 and p99;
//   - retention deleting --history-events events: duration and event-loop stall;
//   - status reports (wrk) with no stream open and with 100 open streams: req/s and master CPU per report.
import { request as httpRequest, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { createManualClock } from '../../src/clock.js';
import { createSweeping } from '../../src/sweeping/sweeping.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import { startMaster, stopMaster } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { seed, timed } from '../lib/fleet.js';
import { latency, reportsWithCpu } from '../lib/measure.js';
import { masterEnv, silent, log } from '../lib/options.js';

/** Opens `n` event streams that read and discard what comes. */
function openStreams(base: string, n: number): ClientRequest[] {
  return Array.from({ length: n }, () => {
    const req = httpRequest(`${base}/api/v1/master/events/stream`, { agent: false });
    req.on('response', (res) => res.resume());
    req.on('error', () => undefined);
    req.end();
    return req;
  });
}

/** Runs the part at `count` nodes, retention over `eventsCount` events. */
export async function history(count: number, eventsCount: number) {
  log(`history: ${count} nodes, retention of ${eventsCount} events, 100 open streams`);
  const t = tempDir('argus-bench-');
  try {
    const dbPath = join(t.dir, 'master/db.sqlite3');
    const seededAt = Date.now();
    seed(dbPath, count, seededAt);
    const store = openSqliteStore({ path: dbPath });
    const clock = createManualClock(seededAt);
    const sweeping = createSweeping({ store, clock, thresholds: { onlineWithinMs: 120_000, offlineAfterMs: 180_000 }, logger: silent });
    clock.advance(200_000);
    const sweepAllOffline = { ...(await timed(() => sweeping.sweep())), events: (await store.eventBounds()).last };
    await store.close();

    const m = await startMaster(t.dir, masterEnv());
    let reads;
    try {
      const last = count;
      reads = {
        nodesByRareLabel: await latency(m.base, () => `/api/v1/master/nodes?label=rack-${1 + Math.floor(Math.random() * (count / 100))}&limit=50`, 300),
        nodesByCommonLabel: await latency(m.base, () => '/api/v1/master/nodes?label=gpu&limit=50', 300),
        nodesByStatusPage: await latency(m.base, () => `/api/v1/master/nodes?status=offline&limit=50&after=A${Math.floor(Math.random() * (count - 100))}`, 300),
        events1000: await latency(m.base, () => `/api/v1/master/events?after=${Math.floor(Math.random() * Math.max(1, last - 1000))}&limit=1000`, 300),
      };
    } finally {
      await stopMaster(m);
    }

    // Retention: fill the events table to `eventsCount` old events, then delete them all.
    const store2 = openSqliteStore({ path: dbPath });
    const have = (await store2.eventBounds()).last;
    const fill = store2.db.prepare("INSERT INTO events (id, time, type, node_id, body) VALUES (?, ?, 'node.config', ?, ?)");
    store2.db.transaction(() => {
      for (let id = have + 1; id <= eventsCount; id++) {
        const node = `A${1 + (id % count)}`;
        fill.run(id, seededAt, node, `{"id":${id},"time":"2026-01-01T00:00:00Z","type":"node.config","node_id":"${node}","changed":["label"]}`);
      }
      store2.db.prepare("UPDATE kv SET value = ? WHERE key = 'event_id_counter'").run(String(Math.max(have, eventsCount)));
    })();
    let deleted = 0;
    const retention = await timed(async () => {
      deleted = await store2.pruneEvents({ olderThanMs: seededAt + 1_000_000, maxPerNode: 1000 });
    });
    await store2.close();

    // Streams: a fleet of 1,000 online nodes whose reports change nothing (no events), 0 and 100 streams.
    const t2 = tempDir('argus-bench-');
    try {
      seed(join(t2.dir, 'master/db.sqlite3'), 1000, Date.now());
      const m2 = await startMaster(t2.dir, masterEnv());
      try {
        await reportsWithCpu(m2, 1000); // warm-up (JIT, caches), not counted
        // Bracketed: without streams right before and right after the run with them (this machine's
        // speed moves within minutes).
        const before = await reportsWithCpu(m2, 1000);
        const streams = openStreams(m2.base, 100);
        await new Promise((r) => setTimeout(r, 1_000));
        const withStreams = await reportsWithCpu(m2, 1000);
        for (const s of streams) s.destroy();
        await new Promise((r) => setTimeout(r, 500));
        const after = await reportsWithCpu(m2, 1000);
        const noStreams = { rps: (before.rps + after.rps) / 2, cpuMsPer1000: (before.cpuMsPer1000 + after.cpuMsPer1000) / 2, before, after };
        return {
          nodes: count,
          sweepAllOffline,
          reads,
          retention: { ...retention, deleted },
          statusReports: {
            noStreams,
            with100Streams: withStreams,
            cpuIncrease: Number((withStreams.cpuMsPer1000 / noStreams.cpuMsPer1000 - 1).toFixed(3)),
          },
        };
      } finally {
        await stopMaster(m2);
      }
    } finally {
      t2.cleanup();
    }
  } finally {
    t.cleanup();
  }
}
