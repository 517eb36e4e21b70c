// Measurements shared by the parts: sequential-request latency, the master's CPU time, and status
// reports by wrk with the master's CPU per 1,000 reports.
import { fork, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { freePort, type MasterProcess } from '../../test/e2e/harness.js';
import { join } from 'node:path';
import { call, type timed } from './fleet.js';
import { log, lua } from './options.js';
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

type Timed = Awaited<ReturnType<typeof timed>>;

/** What bench/sweeps-child.ts measures and prints. */
export interface SweepsResult {
  sweepQuiet: Timed;
  sweepAllOffline: Timed;
  /** The database's size (with its WAL) right after the all-offline sweep. */
  bytesAfterSweep: number;
  nodesJson: { buildMs: number; publish: Timed; bytes: number; path: string };
  /** With a maintenance window throughout: the pass's times (start, at rest, after the all-offline sweep). */
  maintenance?: { selector: string; inMaintenance: number; start: Timed; atRest: Timed; afterAllOffline: Timed };
}

/**
 * The sweeps of a seeded SQLite file as the primary's scheduler runs them (event loop watched), in a
 * process of their own (bench/sweeps-child.ts): a quiet one, then one taking every node offline (past the
 * grace and every threshold); then every node set online again and nodes.json published as the master
 * does (built by the store, then written atomically to `dir`/nodes.json). Not in the bench's process: its
 * heap (~42 MB: tsx's transpiled sources of the bench, the tests' helpers and the master) was compacted
 * by V8's memory reducer right at the sweep's start, after the idle wait for the seed: 23–32 ms of
 * garbage collection in the first 50 ms of three sweeps, which the master's primary does not carry.
 */
export function sweepsAndNodesJson(dbPath: string, seededAtMs: number, dir: string, maintenanceSelector?: string): SweepsResult {
  // The bench's own files (the seed, earlier parts) flushed first: with ~630 MB of them still dirty on the
  // same ext4 file system one chunk's commit stalled 622 ms (docs/PERFORMANCE.md §3).
  spawnSync('sync');
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'sweeps-child.ts'), dbPath, String(seededAtMs), dir, ...(maintenanceSelector ? [maintenanceSelector] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (child.status !== 0) throw new Error(`the sweeps' process failed (exit ${child.status}, ${child.signal ?? 'no signal'})`);
  return JSON.parse(child.stdout) as SweepsResult;
}

/** Waits (at most `timeoutMs`) until the master's nodes.json exists; ms from `startAt` (performance.now()). */
export async function firstNodesJsonMs(m: MasterProcess, startAt: number, timeoutMs: number): Promise<number> {
  for (let i = 0; i < timeoutMs / 50 && !existsSync(m.nodesJsonPath); i++) await new Promise((r) => setTimeout(r, 50));
  return Math.round(performance.now() - startAt);
}

/**
 * The million part's reads: `GET /nodes?limit=50` at random cursors (100 unmeasured first: the first ones
 * after a start pay for JIT and cold caches, p99 6.2 ms in the first 300 at a million nodes, 3.5-3.9 ms in
 * the next two rounds of 300), then 300 measured; the first page 100 times; http_sd of a 1% shard 5 times;
 * and the bare-http ceiling (bench/ceiling.ts) read the same way (100 unmeasured, 300 measured) while the
 * master runs: a p99 of sequential requests on this box is mostly its scheduling, which the ceiling shows.
 */
export async function pageAndShardReads(base: string, count: number) {
  const randomPage = () => `/api/v1/master/nodes?limit=50&after=A${1 + Math.floor(Math.random() * (count - 50))}`;
  await latency(base, randomPage, 100);
  const page = await latency(base, randomPage, 300);
  const firstPage = await latency(base, () => '/api/v1/master/nodes?limit=50', 100);
  const shard = await latency(base, () => `/api/v1/master/sd/prometheus?label=shard-${Math.floor(Math.random() * 100)}`, 5);
  const ceiling = await startCeiling();
  try {
    await latency(ceiling.base, () => '/', 100);
    const ceilingPage = await latency(ceiling.base, () => '/', 300);
    return { page, firstPage, shard, ceilingPage };
  } finally {
    ceiling.stop();
  }
}

/** Starts the bare-http ceiling (bench/ceiling.ts) in a process of its own: its base URL, and `stop`. */
export async function startCeiling(): Promise<{ base: string; stop(): void }> {
  const port = await freePort();
  const child = fork(join(import.meta.dirname, '..', 'ceiling.ts'), [String(port)], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the ceiling exited before it listened (exit ${code})`)));
  });
  return { base: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}
