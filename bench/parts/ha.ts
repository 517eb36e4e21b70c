// Part `ha` (issue 13): two masters on one PostgreSQL beside one SQLite master, in the same run, on the
// same box (the masters, PostgreSQL and the load generator share its cores):
//   reports     status reports by wrk (64 connections; 32 to each PostgreSQL master), saturating, over
//               --ha-load-nodes nodes (10,000), alternating SQLite (2 workers) and PostgreSQL for --rounds
//               rounds; the two PostgreSQL masters with one worker each (they share the box's two cores)
//               and, measured the same way, with two each;
//   latency     an open-loop 3,000 reports/s (bench/lib/open-loop.ts) for 4 × --seconds, each side;
//   failover    --ha-nodes (100,000) nodes: the leader SIGKILLed, time to the first sweep by the new
//               leader (LEADER_LEASE_SECONDS=3, SCHEDULER_INTERVAL_SECONDS=1), and that sweep's length.
// PostgreSQL runs with its durable defaults (fsync and synchronous commit on), as in production.
import { join } from 'node:path';
import { startMaster, stopMaster, type MasterProcess } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { startPostgres, type PostgresServer } from '../../test/helpers/postgres.js';
import { call, copyIntoPostgres, memoryMiB, seed } from '../lib/fleet.js';
import { openLoopReports } from '../lib/open-loop.js';
import { log, lua, masterEnv, median, rounds, seconds } from '../lib/options.js';
import { wrk, wrkTogether, type WrkResult } from '../lib/wrk.js';


/** The master's last sweep (epoch seconds) from its /metrics, or 0. */
async function lastSweep(m: MasterProcess): Promise<number> {
  const r = await call(m.base, 'GET', '/metrics');
  const x = /^argus_master_last_sweep_timestamp_seconds(?:\{[^}]*\})? ([\d.e+]+)/m.exec(r.text);
  return x ? Number(x[1]) : 0;
}

async function role(m: MasterProcess): Promise<string> {
  const r = await call(m.base, 'GET', '/api/v1/master/cluster');
  return r.status === 200 ? (JSON.parse(r.text) as { role: string }).role : 'unreachable';
}

const env = (extra: Record<string, string>) => masterEnv({ OFFLINE_BRAKE: 'off', ...extra });

export async function ha(loadNodes: number, failoverNodes: number) {
  const t = tempDir('argus-bench-ha-');
  let pg: PostgresServer | null = null;
  const running: MasterProcess[] = [];
  const start = async (dir: string, extra: Record<string, string>) => {
    const m = await startMaster(join(t.dir, dir), env(extra));
    running.push(m);
    return m;
  };
  const stopAll = async () => {
    for (const m of running.splice(0)) await stopMaster(m);
  };
  try {
    pg = await startPostgres({ durable: true });
    log(`ha: ${loadNodes} nodes; SQLite master vs two masters on PostgreSQL (durable settings), ${rounds} rounds`);
    const seedFile = join(t.dir, 'seed.sqlite3');
    seed(seedFile, loadNodes, Date.now());
    const url = await pg.createDatabase('argus_bench_load');
    const copyMs = copyIntoPostgres(seedFile, url);
    log(`  copy-db of ${loadNodes} nodes into PostgreSQL: ${copyMs} ms`);

    const sqlite: WrkResult[] = [];
    const postgres: WrkResult[] = [];
    const postgresTwoWorkers: WrkResult[] = [];
    const openLoop: Record<'sqlite' | 'postgres', unknown[]> = { sqlite: [], postgres: [] };
    const memory: Record<string, unknown> = {};
    for (let round = 0; round < rounds; round++) {
      // SQLite: the seeded file, copied afresh each round.
      const dir = `sqlite-${round}`;
      seed(join(t.dir, dir, 'master/db.sqlite3'), loadNodes, Date.now());
      const s = await start(dir, {});
      sqlite.push(wrk(s.base, lua('status.lua'), [String(loadNodes), 'A']));
      if (round === 0) openLoop.sqlite.push(await openLoopReports([s.base], { rate: 3000, seconds: seconds * 4, nodes: loadNodes }));
      if (round === 0) memory.sqlite = memoryMiB(s);
      await stopAll();
      log(`  round ${round + 1}: SQLite ${Math.round(sqlite.at(-1)!.rps)}/s p99 ${sqlite.at(-1)!.p99ms} ms`);

      const two = { a: await start(`pg2-a-${round}`, { DATABASE_URL: url, MASTER_INSTANCE: 'bench-a', MASTER_WORKERS: '2' }), b: await start(`pg2-b-${round}`, { DATABASE_URL: url, MASTER_INSTANCE: 'bench-b', MASTER_WORKERS: '2' }) };
      postgresTwoWorkers.push(await wrkTogether([two.a.base, two.b.base], lua('status.lua'), [String(loadNodes), 'A']));
      await stopAll();
      const a = await start(`pg-a-${round}`, { DATABASE_URL: url, MASTER_INSTANCE: 'bench-a', MASTER_WORKERS: '1' });
      const b = await start(`pg-b-${round}`, { DATABASE_URL: url, MASTER_INSTANCE: 'bench-b', MASTER_WORKERS: '1' });
      postgres.push(await wrkTogether([a.base, b.base], lua('status.lua'), [String(loadNodes), 'A']));
      if (round === 0) openLoop.postgres.push(await openLoopReports([a.base, b.base], { rate: 3000, seconds: seconds * 4, nodes: loadNodes }));
      if (round === 0) memory.postgres = { a: memoryMiB(a), b: memoryMiB(b) };
      await stopAll();
      log(`  round ${round + 1}: two masters on PostgreSQL, 1 worker each ${Math.round(postgres.at(-1)!.rps)}/s p99 ${postgres.at(-1)!.p99ms} ms; 2 workers each ${Math.round(postgresTwoWorkers.at(-1)!.rps)}/s`);
    }
    const sqliteRps = median(sqlite.map((r) => r.rps));
    const pgRps = median(postgres.map((r) => r.rps));
    const ol = openLoop as { sqlite: Array<{ p99ms: number }>; postgres: Array<{ p99ms: number }> };
    const reports = {
      nodes: loadNodes,
      sqlite: { rps: sqliteRps, p99ms: median(sqlite.map((r) => r.p99ms)), valid: sqlite.every((r) => r.valid) },
      postgresTwoMasters: { workersEach: 1, rps: pgRps, p99ms: median(postgres.map((r) => r.p99ms)), valid: postgres.every((r) => r.valid) },
      postgresTwoMastersTwoWorkers: { workersEach: 2, rps: median(postgresTwoWorkers.map((r) => r.rps)), p99ms: median(postgresTwoWorkers.map((r) => r.p99ms)), valid: postgresTwoWorkers.every((r) => r.valid) },
      ratio: Number((pgRps / sqliteRps).toFixed(2)),
      target: '≥ 0.5',
      rounds: { sqlite, postgres, postgresTwoWorkers },
    };
    const latency = {
      rate: 3000,
      sqlite: openLoop.sqlite[0],
      postgresTwoMasters: openLoop.postgres[0],
      p99Ratio: Number((ol.postgres[0]!.p99ms / ol.sqlite[0]!.p99ms).toFixed(2)),
      target: 'p99 ≤ 2 × SQLite',
    };
    log(`  reports: PostgreSQL/SQLite ${reports.ratio}; open-loop 3,000/s p99 ${ol.sqlite[0]!.p99ms} vs ${ol.postgres[0]!.p99ms} ms`);

    // Failover at `failoverNodes`.
    log(`ha: failover at ${failoverNodes} nodes`);
    const bigSeed = join(t.dir, 'big.sqlite3');
    seed(bigSeed, failoverNodes, Date.now() + 3_600_000); // reported "in the future": all stay online through the test
    const bigUrl = await pg.createDatabase('argus_bench_failover');
    const bigCopyMs = copyIntoPostgres(bigSeed, bigUrl);
    log(`  copy-db of ${failoverNodes} nodes: ${bigCopyMs} ms`);
    const fast = { DATABASE_URL: bigUrl, LEADER_LEASE_SECONDS: '3', SCHEDULER_INTERVAL_SECONDS: '1', MASTER_WORKERS: '1' };
    const a = await start('big-a', { ...fast, MASTER_INSTANCE: 'big-a' });
    const b = await start('big-b', { ...fast, MASTER_INSTANCE: 'big-b' });
    const [leader, follower] = (await role(a)) === 'leader' ? [a, b] : [b, a];
    const killedAt = Date.now();
    leader.kill('SIGKILL', true);
    running.splice(running.indexOf(leader), 1);
    let tookOverMs = Number.NaN;
    let firstSweepMs = Number.NaN;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (Number.isNaN(tookOverMs) && (await role(follower)) === 'leader') tookOverMs = Date.now() - killedAt;
      const swept = await lastSweep(follower);
      if (swept * 1000 > killedAt) {
        firstSweepMs = Math.round(swept * 1000 - killedAt);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const sweepSeconds = /^argus_master_sweep_duration_seconds_sum(?:\{[^}]*\})? ([\d.e+-]+)/m.exec((await call(follower.base, 'GET', '/metrics')).text);
    const failover = {
      nodes: failoverNodes, leaseSeconds: 3, intervalSeconds: 1, bound: 'interval + lease = 4 s',
      takeoverMs: tookOverMs, firstSweepAfterKillMs: firstSweepMs, sweepSecondsSum: sweepSeconds ? Number(Number(sweepSeconds[1]).toFixed(3)) : null,
      copyDbMs: bigCopyMs,
    };
    log(`  failover: leader after ${tookOverMs} ms, first sweep by it ${firstSweepMs} ms after the kill`);
    await stopAll();
    return { reports, latency, failover, memoryMiB: memory, copyDbMs: copyMs };
  } finally {
    for (const m of running) m.kill('SIGKILL', true);
    await pg?.stop();
    t.cleanup();
  }
}
