// Part `million` on PostgreSQL (issue 14, §3 "the same on PostgreSQL where it applies"): the million-node
// SQLite file copied into a local PostgreSQL server (durable defaults) with the master's copy-db, then a
// master on it: start-up, its first nodes.json, the first sweep's length, memory, `GET /nodes?limit=50`
// at random cursors, http_sd of a 1% shard. Skipped, with a line saying so, when PostgreSQL is missing.
import { join } from 'node:path';
import { startMaster, stopMaster } from '../../test/e2e/harness.js';
import { postgresMissing, startPostgres } from '../../test/helpers/postgres.js';
import { call, copyIntoPostgres, memoryMiB } from '../lib/fleet.js';
import { firstNodesJsonMs, pageAndShardReads } from '../lib/measure.js';
import { log, masterEnv } from '../lib/options.js';

/** Sum and count of a histogram in /metrics. */
async function histogram(base: string, name: string): Promise<{ sum: number; count: number }> {
  const text = (await call(base, 'GET', '/metrics')).text;
  const value = (suffix: string) => Number(text.split('\n').find((l) => l.startsWith(`${name}_${suffix}`))?.split(' ').at(-1) ?? Number.NaN);
  return { sum: value('sum'), count: value('count') };
}

export async function millionOnPostgres(sqlitePath: string, count: number, dir: string) {
  const missing = postgresMissing();
  if (missing) {
    log(`  PostgreSQL half skipped: ${missing}`);
    return { skipped: missing };
  }
  const pg = await startPostgres({ durable: true });
  try {
    const url = await pg.createDatabase('argus_bench_million');
    const copyDbMs = copyIntoPostgres(sqlitePath, url);
    log(`  PostgreSQL: copy-db of ${count} nodes (and their events) ${copyDbMs} ms`);
    const startAt = performance.now();
    const m = await startMaster(join(dir, 'pg'), masterEnv({ DATABASE_URL: url }));
    const startupMs = Math.round(performance.now() - startAt);
    try {
      const firstNodesJson = await firstNodesJsonMs(m, startAt, 60_000);
      const sweep = await histogram(m.base, 'argus_master_sweep_duration_seconds');
      const memoryIdle = memoryMiB(m);
      const { page, firstPage, shard, ceilingPage } = await pageAndShardReads(m.base, count);
      const firstSweepMs = Number(((sweep.sum / sweep.count) * 1000).toFixed(1));
      log(`  PostgreSQL: start-up ${startupMs} ms (first nodes.json at ${firstNodesJson} ms), first sweep ${firstSweepMs} ms; page p50 / p99 ${page.p50ms} / ${page.p99ms} ms (first page ${firstPage.p99ms}; the ceiling's ${ceilingPage.p50ms} / ${ceilingPage.p99ms}); http_sd shard p50 ${shard.p50ms} ms max ${shard.p99ms} ms`);
      return { copyDbMs, startupMs, firstNodesJsonMs: firstNodesJson, firstSweepMs, memoryMiB: { idle: memoryIdle, afterReads: memoryMiB(m) }, listPage: page, listFirstPage: firstPage, ceilingPage, httpSdShard: shard };
    } finally {
      await stopMaster(m);
    }
  } finally {
    await pg.stop();
  }
}
