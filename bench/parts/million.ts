// Part `million` (issue 14, §3): --million-nodes (1,000,000) seeded nodes on SQLite, all online, every node
// labelled `gpu` and one of 100 shards `shard-<n>` (1% of the fleet each): a quiet sweep and one taking all
// offline (in-process, the event loop watched), nodes.json built and written, then the real master on
// the full file: start-up (spawn → /readyz 200; its first nodes.json is written after), memory, `GET /nodes?limit=50` (keyset pages at random cursors) and http_sd of
// one shard; the database file's size; the same file copied into PostgreSQL and served from there
// (bench/parts/million-postgres.ts); then a simulated day with 1% of the fleet flapping
// (bench/lib/flapping-day.ts, --flap-hours 24): the events table's and the file's growth.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startMaster, stopMaster } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { call, databaseBytes, memoryMiB } from '../lib/fleet.js';
import { flappingDay } from '../lib/flapping-day.js';
import { firstNodesJsonMs, pageAndShardReads, sweepsAndNodesJson } from '../lib/measure.js';
import { millionOnPostgres } from './million-postgres.js';
import { log, masterEnv } from '../lib/options.js';

const mb = (bytes: number) => Number((bytes / 1e6).toFixed(1));

export async function million(count: number, flapHours = 24, halves: string[] = ['sqlite', 'postgres', 'flapping']) {
  log(`million: ${count} nodes on SQLite`);
  const t = tempDir('argus-bench-million-');
  try {
    const dbPath = join(t.dir, 'master/db.sqlite3');
    const seededAt = Date.now();
    const seedStart = performance.now();
    // In a child process, so that the sweeps timed below run in a process that carries none of the
    // seed's garbage (a million rows built in JavaScript). (The 45-53 ms stalls of those sweeps turned
    // out to be the WAL's fallback checkpoint, not this: docs/PERFORMANCE.md.)
    const seeded = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'seed-child.ts'), dbPath, String(count), String(seededAt), '100'], { stdio: 'inherit' });
    if (seeded.status !== 0) throw new Error(`seeding failed (exit ${seeded.status})`);
    const seedMs = Math.round(performance.now() - seedStart);
    const fileBytes = () => databaseBytes(dbPath);
    log(`  seeded in ${seedMs} ms: ${mb(fileBytes())} MB`);

    const sqlite = halves.includes('sqlite') ? await onSqlite(dbPath, count, seededAt, t.dir, seedMs, fileBytes) : null;
    const postgres = halves.includes('postgres') ? await millionOnPostgres(dbPath, count, t.dir) : null;
    if (!halves.includes('flapping')) return { nodes: count, seedMs, sqlite, postgres };
    log(`  a simulated ${flapHours} h with 1% of the nodes flapping (in-process, manual clock)`);
    const day = await flappingDay(dbPath, count, flapHours);
    log(`  ${day.events} events in ${day.hours} h (${day.flappingNodes} flapping nodes, ${day.reports} reports), database +${mb(day.bytesGrowth)} MB (${day.bytesPerEvent} bytes an event), ${day.wallSeconds} s`);
    return { nodes: count, seedMs, sqlite, postgres, flappingDay: day };
  } finally {
    t.cleanup();
  }
}

/** The SQLite half: in-process sweeps and nodes.json, then the real master on the file. */
async function onSqlite(dbPath: string, count: number, seededAt: number, dir: string, seedMs: number, fileBytes: () => number) {
  const dbBytesSeeded = fileBytes();
  const { sweepQuiet, sweepAllOffline, nodesJson, bytesAfterSweep: dbBytesAfterSweep } = sweepsAndNodesJson(dbPath, seededAt, dir);
  const publish = nodesJson.publish;
  const nodesJsonBytes = statSync(nodesJson.path).size;
  log(`  quiet sweep ${sweepQuiet.ms} ms; sweep taking all offline (an event each): ${sweepAllOffline.ms} ms, longest stall ${sweepAllOffline.maxStallMs} ms (the longest at ${sweepAllOffline.longestStalls.map((g) => `+${g.atMs}: ${g.ms} (GC ${g.gcMs})`).join(', ')} ms)`);
  log(`  nodes.json ${publish.ms} ms (${mb(nodesJsonBytes)} MB, stall ${publish.maxStallMs} ms)`);

  const port = await freePort();
  const startAt = performance.now();
  const m = await startMaster(dir, masterEnv(), port);
  const startupMs = Math.round(performance.now() - startAt);
  try {
    // The master answers before its first nodes.json is written (built while the workers start): wait
    // for that file, so that the reads below do not share the two cores with its build.
    const firstNodesJson = await firstNodesJsonMs(m, startAt, 30_000);
    const memoryIdle = memoryMiB(m);
    const { page, firstPage, shard, ceilingPage } = await pageAndShardReads(m.base, count);
    const shardBytes = Buffer.byteLength((await call(m.base, 'GET', '/api/v1/master/sd/prometheus?label=shard-7')).text);
    log(`  start-up ${startupMs} ms (first nodes.json at ${firstNodesJson} ms); page p50 / p99 ${page.p50ms} / ${page.p99ms} ms (the ceiling's ${ceilingPage.p50ms} / ${ceilingPage.p99ms}); http_sd shard p50 ${shard.p50ms} ms max ${shard.p99ms} ms`);
    return {
      nodes: count,
      seedMs,
      sweepQuiet,
      sweepAllOffline,
      nodesJson: { publishMs: publish.ms, maxStallMs: publish.maxStallMs, bytes: nodesJsonBytes },
      startupMs,
      firstNodesJsonMs: firstNodesJson,
      memoryMiB: { idle: memoryIdle, afterReads: memoryMiB(m) },
      listPage: page,
      ceilingPage,
      listFirstPage: firstPage,
      httpSdShard: { ...shard, bytes: shardBytes, nodes: count / 100 },
      databaseBytes: { seeded: dbBytesSeeded, afterAllOfflineSweep: dbBytesAfterSweep },
      targets: { sweepQuietMs: 50, stallMs: 20, nodesJsonMs: 3000, pageP99Ms: 5, shardMs: 1000, startupMs: 3000, memoryMB: 600 },
    };
  } finally {
    await stopMaster(m);
  }
}
