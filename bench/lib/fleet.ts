// Driving the master like a fleet: requests over a keep-alive pool, registering and reporting a fleet,
// seeding a database directly, and measuring memory and event-loop stalls.
import { spawnSync } from 'node:child_process';
import type Database from 'better-sqlite3';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request as httpRequest } from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileEntryOf } from '../../src/storage/rows.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import type { MasterProcess } from '../../test/e2e/harness.js';
import { registrationBody } from '../../test/helpers/fixtures.js';

export const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request to the master over a keep-alive pool; resolves with the status and latency. */
export function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; ms: number; text: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      `${base}${path}`,
      { method, agent, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started, text: '' }));
    req.on('timeout', () => req.destroy());
    req.end(payload);
  });
}

/** Registers `count` nodes through the API, 64 at a time. */
export async function registerFleet(base: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 64) {
    const batch = Array.from({ length: Math.min(64, count - i) }, (_, k) => call(base, 'POST', '/api/v1/master/nodes', registrationBody(`fleet-${i + k}`)));
    const res = await Promise.all(batch);
    if (res.some((r) => r.status !== 201)) throw new Error(`registration failed: ${res.find((r) => r.status !== 201)?.text}`);
  }
}

/** Reports once for nodes A1…A<count>, 64 at a time (brings a new fleet online). */
export async function reportFleet(base: string, count: number): Promise<void> {
  const body = { timestamp: new Date().toISOString(), health: {} };
  for (let i = 1; i <= count; i += 64) {
    const batch = Array.from({ length: Math.min(64, count - i + 1) }, (_, k) => call(base, 'PUT', `/api/v1/master/nodes/A${i + k}/status`, body));
    if ((await Promise.all(batch)).some((r) => r.status !== 200)) throw new Error('status report failed during warm-up');
  }
}

/**
 * Memory of the master (the primary and its workers), in MiB: `rss` sums each process's resident set,
 * which counts pages the processes share (Node.js itself, libraries) once per process; `pss` shares
 * them out (the kernel's proportional set size), so it is what the master occupies as a whole.
 */
export function memoryMiB(m: MasterProcess): { rss: number; pss: number } {
  const pids = [m.proc.pid!, ...spawnSync('pgrep', ['-P', String(m.proc.pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number)];
  let rssKb = 0;
  let pssKb = 0;
  for (const pid of pids) {
    try {
      rssKb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      pssKb += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  return { rss: Math.round(rssKb / 1024), pss: Math.round(pssKb / 1024) };
}

/**
 * Watches this process's event loop: the longest gap between ticks of a 1 ms interval timer, from now
 * until `stop()`, which returns it in milliseconds.
 */
export function watchStalls(): { stop(): number; gaps(): { atMs: number; ms: number; gcMs: number }[] } {
  const started = performance.now();
  let last = started;
  let maxGap = 0;
  // The five longest gaps, when they began (ms after the watch started) and how much of each was garbage
  // collection: where a stall lies and what it holds say what caused it (a sweep's first chunk, a
  // checkpoint, a collection).
  const longest: { at: number; ms: number }[] = [];
  const gcs: { at: number; ms: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (gcs.length < 100_000) gcs.push({ at: e.startTime, ms: e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  const note = (now: number) => {
    const gap = now - last;
    maxGap = Math.max(maxGap, gap);
    if (longest.length < 5 || gap > longest[longest.length - 1]!.ms) {
      longest.push({ at: last, ms: gap });
      longest.sort((a, b) => b.ms - a.ms);
      longest.length = Math.min(longest.length, 5);
    }
    last = now;
  };
  const ticker = setInterval(() => note(performance.now()), 1);
  return {
    stop() {
      clearInterval(ticker);
      observer.disconnect();
      note(performance.now());
      return maxGap;
    },
    gaps: () =>
      longest.map((g) => ({
        atMs: Number((g.at - started).toFixed(1)),
        ms: Number(g.ms.toFixed(2)),
        gcMs: Number(gcs.filter((c) => c.at < g.at + g.ms && c.at + c.ms > g.at).reduce((sum, c) => sum + c.ms, 0).toFixed(1)),
      })),
  };
}

/** The parts of a build that seed a database: its store (its migrations) and its nodes.json entry. */
export interface SeedingBuild {
  openSqliteStore: (o: { path: string }) => { db: Database.Database; close(): Promise<void> };
  fileEntryOf: (n: { id: string; metaData: Record<string, unknown>; label: string[] }) => string;
}
const ownBuild: SeedingBuild = { openSqliteStore, fileEntryOf };

/** Another built checkout's seeding parts (its dist/), so that its database has its own schema version. */
export async function buildAt(checkout: string): Promise<SeedingBuild> {
  const store = (await import(join(checkout, 'dist', 'storage', 'sqlite', 'index.js'))) as Pick<SeedingBuild, 'openSqliteStore'>;
  const rows = (await import(join(checkout, 'dist', 'storage', 'rows.js'))) as Pick<SeedingBuild, 'fileEntryOf'>;
  return { openSqliteStore: store.openSqliteStore, fileEntryOf: rows.fileEntryOf };
}

/** Fills a database with `count` online nodes (reported `reportedAtMs`) and their label rows, in one transaction. */
export function seed(dbPath: string, count: number, reportedAtMs: number, options: { shards?: number; racks?: number; build?: SeedingBuild } = {}): void {
  const { openSqliteStore, fileEntryOf } = options.build ?? ownBuild;
  const store = openSqliteStore({ path: dbPath });
  const insert = store.db.prepare(
    `INSERT INTO nodes (id, seq, name, type, version, status, config, label, meta_data, health, register_time, last_report, agent_last_report, last_updated, status_since, file_entry)
     VALUES (?, ?, ?, 'agent', '1.1.0', 'online', '{}', ?, ?, '{"log-fluentbit":{"status":"healthy"}}', ?, ?, ?, ?, ?, ?)`,
  );
  store.db.transaction(() => {
    for (let i = 1; i <= count; i++) {
      const metaData = { ...registrationBody(`seed-${i}`).meta_data, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
      const meta = JSON.stringify(metaData);
      // Every node has "gpu"; one in 100 has "rack-<i/100>" too (a label shard of ~1% for the list filter).
      // With `shards`, every node is also in one of them (`shard-<i mod shards>`).
      const labels = i % 100 === 0 ? ['gpu', `rack-${i / 100}`] : ['gpu'];
      if (options.shards) labels.push(`shard-${i % options.shards}`);
      // With `racks`, every node also has a key/value label `rack=<i mod racks>` (selectors, SPEC §12).
      if (options.racks) labels.push(`rack=${i % options.racks}`);
      const label = JSON.stringify(labels);
      // The nodes.json entry the store keeps beside every node (migration 009), as its writes do.
      const entry = fileEntryOf({ id: `A${i}`, metaData, label: labels });
      insert.run(`A${i}`, i, `seed-${i}`, label, meta, reportedAtMs, reportedAtMs, reportedAtMs, reportedAtMs, reportedAtMs, entry);
    }
    store.db.prepare("UPDATE kv SET value = ? WHERE key = 'node_id_counter'").run(String(count));
    // The label index the store keeps beside every label change (migration 007): without it a label
    // filter would find nothing, and measure nothing.
    store.db.prepare('INSERT INTO node_labels (label, seq) SELECT DISTINCT j.value, n.seq FROM nodes n, json_each(n.label) j').run();
    // The health state a build derives from the seeded health (its every component healthy), as the
    // store's writes and migration 012 keep it: else every node's first report would change it.
    const columns = store.db.prepare("SELECT name FROM pragma_table_info('nodes')").all() as Array<{ name: string }>;
    if (columns.some((c) => c.name === 'health_state')) store.db.prepare("UPDATE nodes SET health_state = 'healthy'").run();
    // The capacity columns the store keeps from meta_data (migration 014), as its writes do.
    if (columns.some((c) => c.name === 'gpu_number')) {
      const number = (k: string) => `CASE WHEN json_type(meta_data, '$.${k}') IN ('integer', 'real') THEN meta_data ->> '$.${k}' ELSE 0 END`;
      store.db.prepare(`UPDATE nodes SET cpu_number = ${number('cpu_number')}, gpu_number = ${number('gpu_number')}, memory_in_bytes = ${number('memory_in_bytes')}`).run();
    }
  })();
  void store.close();
}

/** A SQLite database's size on disk: the file and its WAL, in bytes (a file not there counts 0). */
export function databaseBytes(dbPath: string): number {
  return ['', '-wal'].reduce((n, suffix) => {
    try {
      return n + statSync(dbPath + suffix).size;
    } catch {
      return n;
    }
  }, 0);
}

/** Duration of `fn` and the longest event-loop stall while it ran (ms, two decimals). */
export async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; maxStallMs: number; longestStalls: { atMs: number; ms: number; gcMs: number }[] }> {
  const stalls = watchStalls();
  const started = performance.now();
  await fn();
  const ms = performance.now() - started;
  await new Promise((r) => setTimeout(r, 3));
  return { ms: Number(ms.toFixed(2)), maxStallMs: Number(stalls.stop().toFixed(2)), longestStalls: stalls.gaps() };
}

/** Copies a seeded SQLite file into the (empty) PostgreSQL database at `url` with the master's own copy-db; its ms. */
export function copyIntoPostgres(sqlitePath: string, url: string): number {
  const t0 = performance.now();
  const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
  const r = spawnSync(process.execPath, [cli, 'copy-db', '--from', sqlitePath, '--to', url], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`copy-db failed: ${r.stderr}`);
  return Math.round(performance.now() - t0);
}
