// Measurements shared by the parts: sequential-request latency, the master's CPU time, and status
// reports by wrk with the master's CPU per 1,000 reports.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { MasterProcess } from '../../test/e2e/harness.js';
import { join } from 'node:path';
import { createManualClock } from '../../src/clock.js';
import { createRegistry } from '../../src/registry.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import { createFilePublisher } from '../../src/sweep/published-file.js';
import { call, timed } from './fleet.js';
import { log, lua, silent } from './options.js';
import { wrk } from './wrk.js';

export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN).toFixed(2));
};

/** `count` sequential GETs of `path()` over the keep-alive pool: p50 and p99 in ms. */
export async function latency(base: string, path: () => string, count: number) {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = await call(base, 'GET', path());
    if (r.status !== 200) throw new Error(`GET ${path()} answered ${r.status}: ${r.text.slice(0, 200)}`);
    ms.push(r.ms);
  }
  return { p50ms: percentile(ms, 50), p99ms: percentile(ms, 99), requests: count };
}

/** CPU time (user + system, ms) used so far by the master's processes. */
export function cpuMs(m: MasterProcess): number {
  const pids = [m.proc.pid!, ...spawnSync('pgrep', ['-P', String(m.proc.pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number)];
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** Status reports by wrk, with the master's CPU per report. */
export async function reportsWithCpu(m: MasterProcess, nodes: number) {
  const probe = await call(m.base, 'PUT', '/api/v1/master/nodes/A1/status', { timestamp: new Date().toISOString(), health: {} });
  if (probe.status !== 200) log(`  a status report answered ${probe.status}: ${probe.text.slice(0, 300)}`);
  const before = cpuMs(m);
  const r = wrk(m.base, lua('status.lua'), [String(nodes), 'A']);
  const used = cpuMs(m) - before;
  // The warm-up's 2 s of load are counted in the CPU too: divide by the requests of both (~ rps × (2 + seconds)).
  return { ...r, cpuMsPer1000: Number(((used / (r.rps * (r.requests / r.rps + 2))) * 1000).toFixed(1)) };
}

/**
 * The sweeps of a seeded SQLite file in-process, as the primary runs them (event loop watched): a quiet
 * one, then one taking every node offline (past the grace and every threshold); `afterSweeps` runs then.
 * Every node is set online again and nodes.json published as the master does (built by the store, then
 * written atomically to `dir`/nodes.json).
 */
export async function sweepsAndNodesJson(dbPath: string, seededAtMs: number, dir: string, afterSweeps: () => void = () => undefined) {
  // Opened as the master's sweeping process opens it: WAL checkpoints in its thread, not in the commits.
  const store = openSqliteStore({ path: dbPath, walCheckpoints: 'thread' });
  try {
    const clock = createManualClock(seededAtMs);
    const registry = createRegistry({ store, clock, thresholds: { onlineWithinMs: 120_000, offlineAfterMs: 180_000 }, idPrefix: 'A', logger: silent, onPublishedChange: () => undefined });
    clock.advance(30_000);
    const sweepQuiet = await timed(() => registry.sweep()); // nothing changes (the usual sweep)
    clock.advance(200_000);
    const sweepAllOffline = await timed(() => registry.sweep());
    afterSweeps();
    store.db.prepare("UPDATE nodes SET status = 'online'").run();
    const path = join(dir, 'nodes.json');
    const publisher = createFilePublisher({ name: 'nodes.json', path, read: () => store.nodesFileDocument(), render: (d: { parts: Buffer[] }) => d.parts, logger: silent });
    const buildStart = performance.now();
    const bytes = Buffer.concat((await store.nodesFileDocument()).parts).length;
    const buildMs = performance.now() - buildStart;
    const publish = await timed(() => publisher.publish());
    return { sweepQuiet, sweepAllOffline, nodesJson: { buildMs, publish, bytes, path } };
  } finally {
    await store.close();
  }
}

/** Waits (at most `timeoutMs`) until the master's nodes.json exists; ms from `startAt` (performance.now()). */
export async function firstNodesJsonMs(m: MasterProcess, startAt: number, timeoutMs: number): Promise<number> {
  for (let i = 0; i < timeoutMs / 50 && !existsSync(m.nodesJsonPath); i++) await new Promise((r) => setTimeout(r, 50));
  return Math.round(performance.now() - startAt);
}

/**
 * The million part's reads: `GET /nodes?limit=50` at random cursors (100 unmeasured first: the first ones
 * after a start pay for JIT and cold caches, p99 6.2 ms in the first 300 at a million nodes, 3.5-3.9 ms in
 * the next two rounds of 300), then 300 measured; the first page 100 times; http_sd of a 1% shard 5 times.
 */
export async function pageAndShardReads(base: string, count: number) {
  const randomPage = () => `/api/v1/master/nodes?limit=50&after=A${1 + Math.floor(Math.random() * (count - 50))}`;
  await latency(base, randomPage, 100);
  const page = await latency(base, randomPage, 300);
  const firstPage = await latency(base, () => '/api/v1/master/nodes?limit=50', 100);
  const shard = await latency(base, () => `/api/v1/master/sd/prometheus?label=shard-${Math.floor(Math.random() * 100)}`, 5);
  return { page, firstPage, shard };
}
