// The benchmark (`npm run bench`): starts the built master as a real process on loopback and drives it
// like a fleet. Writes bench/results/<timestamp>.json and prints a summary. Parts (all by default):
//   throughput  wrk (2 threads, 64 connections) against status reports, registrations, GET /nodes/{id},
//               GET /nodes (1,000 nodes), statistics, and the bare-http ceiling in the same run;
//               several rounds on a fresh database each, medians; each figure after a 2 s warm-up of
//               the same load. Any non-2xx or socket error invalidates a figure.
//               With python3, flask and gunicorn installed, the same figures of a Flask reference
//               (bench/flask/app.py, 4 gunicorn sync workers) are measured right after ours.
//   scale       10,000 and 100,000 nodes: sweep duration and event-loop stall, nodes.json build/write
//               time and size, GET /nodes and http_sd latency, memory (RSS and PSS), start-up time on
//               the full database.
//   soak        100,000 simulated agents reporting once per 60 s (±jitter) for --soak-seconds: p99,
//               errors, and no node falsely offline.
// Options: --only throughput,scale,soak  --rounds 3  --seconds 5  --workers N  --soak-seconds 300
//          --scale-sizes 10000,100000  --flask wal|plain|off (the reference's style, see app.py)
// Every loop is bounded in count and time; every request goes to 127.0.0.1.
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createManualClock } from '../src/clock.js';
import { createRegistry } from '../src/registry.js';
import { openSqliteStore } from '../src/storage/sqlite/index.js';
import { createFilePublisher } from '../src/sweep/published-file.js';
import { registrationBody, tempDir } from '../test/helpers/fixtures.js';
import { freePort, startMaster, stopMaster, type MasterProcess } from '../test/e2e/harness.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const parts = opt('only', 'throughput,scale,soak').split(',');
const rounds = Number(opt('rounds', '3'));
const seconds = Number(opt('seconds', '5'));
const workers = opt('workers', '');
const soakSeconds = Number(opt('soak-seconds', '300'));
const scaleSizes = opt('scale-sizes', '10000,100000').split(',').map(Number);
const flaskStyle = opt('flask', 'wal');
const FLEET = 1000;
const silent = pino({ level: 'silent' });
const lua = (name: string) => join(import.meta.dirname, 'lua', name);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
};
const log = (msg: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** Env of a benchmarked master: production defaults, request log off (as gunicorn's default). */
function masterEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ONLINE_THRESHOLD_SECONDS: '120',
    OFFLINE_THRESHOLD_SECONDS: '180',
    SCHEDULER_INTERVAL_SECONDS: '30',
    LOG_REQUESTS: 'false',
    LOG_LEVEL: 'warn',
    ...(workers ? { MASTER_WORKERS: workers } : { MASTER_WORKERS: '' }),
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------- wrk

interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  valid: boolean;
  /** Mean of the ceiling measured right before and right after this figure. */
  ceilingRps?: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

function wrk(url: string, script: string, scriptArgs: string[] = []): WrkResult {
  // Warm-up: 2 s of the same load first (JIT, caches, connection set-up), not counted.
  spawnSync('wrk', ['-t2', '-c64', '-d2s', '-s', script, url, '--', ...scriptArgs, 'warmup'], { encoding: 'utf8', timeout: 30_000 });
  const r = spawnSync('wrk', ['-t2', '-c64', `-d${seconds}s`, '--latency', '-s', script, url, '--', ...scriptArgs], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  const out = r.stdout ?? '';
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/) || 0;
  const res: WrkResult = {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50ms: toMs(/\n\s+50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99ms: toMs(/\n\s+99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    requests: num(/(\d+) requests in/),
    non2xx,
    socketErrors,
    valid: r.status === 0 && non2xx === 0 && socketErrors === 0,
  };
  if (!res.valid) log(`  invalid run (${non2xx} non-2xx, ${socketErrors} socket errors, exit ${r.status}): ${out.slice(0, 400)}${r.stderr ?? ''}`);
  return res;
}

// ------------------------------------------------------------------------------------------ helpers

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request to the master over a keep-alive pool; resolves with the status and latency. */
function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; ms: number; text: string }> {
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
async function registerFleet(base: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 64) {
    const batch = Array.from({ length: Math.min(64, count - i) }, (_, k) => call(base, 'POST', '/api/v1/master/nodes', registrationBody(`fleet-${i + k}`)));
    const res = await Promise.all(batch);
    if (res.some((r) => r.status !== 201)) throw new Error(`registration failed: ${res.find((r) => r.status !== 201)?.text}`);
  }
}

/** Reports once for nodes A1…A<count>, 64 at a time (brings a new fleet online). */
async function reportFleet(base: string, count: number): Promise<void> {
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
function memoryMiB(m: MasterProcess): { rss: number; pss: number } {
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
function watchStalls(): { stop(): number } {
  let last = performance.now();
  let maxGap = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  return {
    stop() {
      clearInterval(ticker);
      return Math.max(maxGap, performance.now() - last);
    },
  };
}

/** Fills a database with `count` online nodes (reported `reportedAtMs`), in one transaction. */
function seed(dbPath: string, count: number, reportedAtMs: number): void {
  const store = openSqliteStore({ path: dbPath });
  const insert = store.db.prepare(
    `INSERT INTO nodes (id, seq, name, type, version, status, config, label, meta_data, health, register_time, last_report, agent_last_report, last_updated)
     VALUES (?, ?, ?, 'agent', '1.1.0', 'online', '{}', '["gpu"]', ?, '{"log-fluentbit":{"status":"healthy"}}', ?, ?, ?, ?)`,
  );
  store.db.transaction(() => {
    for (let i = 1; i <= count; i++) {
      const meta = JSON.stringify({ ...registrationBody(`seed-${i}`).meta_data, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` });
      insert.run(`A${i}`, i, `seed-${i}`, meta, reportedAtMs, reportedAtMs, reportedAtMs, reportedAtMs);
    }
    store.db.prepare("UPDATE kv SET value = ? WHERE key = 'node_id_counter'").run(String(count));
  })();
  void store.close();
}

// -------------------------------------------------------------------------------------- throughput

/** The issue's Flask figures (its reference machine, whose ceiling was 49,000 req/s). */
const FLASK = { status: 920, statusP99: 130, register: 880, getNode: 2600, list: 570, statistics: 2700 };
const FLASK_APP_DIR = join(import.meta.dirname, 'flask');

/** Whether the Flask reference is wanted and can run here (python3 with flask and gunicorn). */
function flaskAvailable(): boolean {
  return flaskStyle !== 'off' && spawnSync('python3', ['-c', 'import flask, gunicorn'], { timeout: 30_000 }).status === 0;
}

/** Starts bench/flask/app.py under gunicorn with 4 sync workers (the original's default) on a fresh database. */
async function startFlask(dir: string): Promise<{ base: string; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = spawn('python3', ['-m', 'gunicorn', '-w', '4', '-b', `127.0.0.1:${port}`, '--chdir', FLASK_APP_DIR, 'app:app'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PYTHONDONTWRITEBYTECODE: '1', DB_PATH: join(dir, 'flask/db.sqlite3'), FLASK_STYLE: flaskStyle },
    stdio: 'ignore',
    detached: true,
  });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const stop = async () => {
    try {
      process.kill(-proc.pid!, 'SIGTERM');
    } catch {
      return; // already gone
    }
    const timer = setTimeout(() => process.kill(-proc.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    const ok = await call(base, 'GET', '/healthz').then((r) => r.status === 200, () => false);
    if (ok) return { base, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('the Flask reference did not start within 15 s');
}

async function throughput() {
  log(`throughput: ${rounds} rounds × ${seconds} s per figure, wrk -t2 -c64, ${FLEET} registered nodes`);
  const ceilPort = await freePort();
  const ceiling: ChildProcess = fork(join(import.meta.dirname, 'ceiling.ts'), [String(ceilPort)], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
  await new Promise((r) => ceiling.once('message', r));
  const figures: Record<string, WrkResult[]> = { ceiling: [], status: [], register: [], getNode: [], list: [], statistics: [] };
  // The same figures of the Flask reference, measured right after each of ours, when it can run here.
  const withFlask = flaskAvailable();
  if (!withFlask) log('  no Flask reference (needs python3 with flask and gunicorn): "vs Flask" uses the issue\'s figures');
  const flask: Record<string, WrkResult[]> = { status: [], register: [], getNode: [], list: [], statistics: [] };
  let workerCount = '';
  try {
    // The ceiling is measured right before and right after every figure, and the figure is divided by
    // their mean: on a shared machine the ceiling moves by a third within a minute.
    const ceilingRun = () => wrk(`http://127.0.0.1:${ceilPort}/`, lua('ceiling.lua'));
    for (let round = 1; round <= rounds; round++) {
      const t = tempDir('argus-bench-');
      const m = await startMaster(t.dir, masterEnv());
      const f = withFlask ? await startFlask(t.dir) : null;
      workerCount = workers || 'default';
      try {
        for (const base of [m.base, f?.base]) {
          if (!base) continue;
          await registerFleet(base, FLEET);
          await reportFleet(base, FLEET); // steady state: the fleet is online, as between real reports
        }
        let before = ceilingRun();
        figures.ceiling!.push(before);
        const measure = (name: string, run: (base: string, api: string) => WrkResult) => {
          const result = run(m.base, m.api);
          if (f) flask[name]!.push(run(f.base, `${f.base}/api/v1/master`));
          const after = ceilingRun();
          figures.ceiling!.push(after);
          figures[name]!.push({ ...result, ceilingRps: (before.rps + after.rps) / 2 });
          before = after;
        };
        measure('status', (base) => wrk(base, lua('status.lua'), [String(FLEET), 'A']));
        measure('getNode', (base) => wrk(base, lua('get-node.lua'), [String(FLEET), 'A']));
        measure('list', (_base, api) => wrk(`${api}/nodes`, lua('get.lua')));
        measure('statistics', (_base, api) => wrk(`${api}/nodes/statistics`, lua('get.lua')));
        measure('register', (base) => wrk(base, lua('register.lua'), [`r${round}`]));
      } finally {
        await f?.stop();
        await stopMaster(m);
        t.cleanup();
      }
      const s = figures.status!.at(-1)!;
      const fs = flask.status!.at(-1);
      log(`  round ${round}: status ${Math.round(s.rps)}/s, p99 ${s.p99ms} ms, ceiling around it ${Math.round(s.ceilingRps ?? 0)}/s${fs ? `; Flask ${Math.round(fs.rps)}/s, p99 ${fs.p99ms} ms` : ''}`);
    }
  } finally {
    ceiling.kill();
  }
  const summary: Record<string, unknown> = { workers: workerCount, flask: withFlask ? flaskStyle : 'not measured' };
  // Each figure is divided by the ceiling measured around it, and by the Flask figure measured right
  // after it (or, without Flask here, the issue's figure); medians over the rounds are reported.
  for (const [name, runs] of Object.entries(figures)) {
    const valid = runs.every((r) => r.valid);
    const rps = median(runs.map((r) => r.rps));
    const ofCeiling = median(runs.map((r) => r.rps / (r.ceilingRps ?? r.rps)));
    const ref = flask[name] ?? [];
    const issueFigure = FLASK[name as keyof typeof FLASK] as number | undefined;
    summary[name] = {
      rps: Math.round(rps),
      p50ms: median(runs.map((r) => r.p50ms)),
      p99ms: median(runs.map((r) => r.p99ms)),
      valid,
      ofCeiling: Number(ofCeiling.toFixed(3)),
      vsFlask: ref.length > 0 ? Number(median(runs.map((r, i) => r.rps / ref[i]!.rps)).toFixed(1)) : undefined,
      vsIssueFlaskFigure: issueFigure ? Number((rps / issueFigure).toFixed(1)) : undefined,
      flask: ref.length > 0 ? { rps: Math.round(median(ref.map((r) => r.rps))), p50ms: median(ref.map((r) => r.p50ms)), p99ms: median(ref.map((r) => r.p99ms)), valid: ref.every((r) => r.valid), rounds: ref } : undefined,
      rounds: runs,
    };
  }
  return summary;
}

// ------------------------------------------------------------------------------------------- scale

async function scale(count: number) {
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
    // Duration of `fn` and the longest event-loop stall while it runs.
    const timed = async (fn: () => Promise<unknown>) => {
      const stalls = watchStalls();
      const started = performance.now();
      await fn();
      const ms = performance.now() - started;
      await new Promise((r) => setTimeout(r, 3));
      return { ms: Number(ms.toFixed(2)), maxStallMs: Number(stalls.stop().toFixed(2)) };
    };
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

// -------------------------------------------------------------------------------------------- soak

async function soak() {
  const agents = 100_000;
  log(`soak: ${agents} agents, one report per 60 s each (±2 s jitter), for ${soakSeconds} s`);
  const t = tempDir('argus-bench-');
  try {
    seed(join(t.dir, 'master/db.sqlite3'), agents, Date.now());
    const m = await startMaster(t.dir, masterEnv());
    try {
      // Each agent's first report falls in the first minute; then every 60 s ± 2 s. Agents wait in
      // 10 ms slots of a ring (no sorting, O(1) per report), so the generator itself stays responsive.
      const SLOT_MS = 10;
      const ring: number[][] = Array.from({ length: Math.ceil(70_000 / SLOT_MS) }, () => []);
      const slotOf = (atMs: number) => Math.floor(atMs / SLOT_MS) % ring.length;
      for (let a = 0; a < agents; a++) ring[slotOf(Math.random() * 60_000)]!.push(a);
      const started = performance.now();
      const endAt = soakSeconds * 1000;
      const latencies: number[] = [];
      let errors = 0;
      let sent = 0;
      let inFlight = 0;
      let maxInFlight = 0;
      const health = { 'log-fluentbit': { status: 'healthy' }, 'metric-node-exporter': { status: 'healthy' } };
      // The load generator's own event-loop stalls, so its delays are not blamed on the master.
      const stalls = watchStalls();
      let nextSlotAt = 0; // start time (ms since `started`) of the next slot to serve
      while (performance.now() - started < endAt) {
        const now = performance.now() - started;
        const body = { timestamp: new Date().toISOString(), health };
        for (; nextSlotAt <= now; nextSlotAt += SLOT_MS) {
          const slot = ring[slotOf(nextSlotAt)]!;
          ring[slotOf(nextSlotAt)] = [];
          for (const a of slot) {
            ring[slotOf(nextSlotAt + 60_000 + (Math.random() - 0.5) * 4_000)]!.push(a);
            sent++;
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            void call(m.base, 'PUT', `/api/v1/master/nodes/A${a + 1}/status`, body).then((r) => {
              inFlight--;
              if (r.status !== 200) errors++;
              else latencies.push(r.ms);
            });
          }
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      const clientMaxStallMs = stalls.stop();
      const drainUntil = performance.now() + 30_000;
      while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
      const stats = JSON.parse((await call(m.base, 'GET', '/api/v1/master/nodes/statistics')).text) as { total: number; status_statistics: Array<{ status: string; count: number }> };
      const metrics = (await call(m.base, 'GET', '/metrics')).text;
      const toOffline = [...metrics.matchAll(/^argus_master_status_transitions_total\{from="online",to="offline"[^}]*\} (\d+)/gm)].reduce((a, x) => a + Number(x[1]), 0);
      latencies.sort((a, b) => a - b);
      const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN).toFixed(2));
      return {
        agents,
        seconds: soakSeconds,
        sent,
        ratePerSecond: Math.round(sent / soakSeconds),
        errors,
        p50ms: pct(0.5),
        p99ms: pct(0.99),
        maxMs: Number((latencies.at(-1) ?? Number.NaN).toFixed(2)),
        maxInFlight,
        clientMaxStallMs: Number(clientMaxStallMs.toFixed(1)),
        offlineAtEnd: stats.status_statistics.find((s) => s.status === 'offline')?.count ?? 0,
        onlineToOfflineTransitions: toOffline,
        memoryMiB: memoryMiB(m),
        workers: workers || 'default',
      };
    } finally {
      await stopMaster(m);
    }
  } finally {
    t.cleanup();
  }
}

// -------------------------------------------------------------------------------------------- main

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  command: `npm run bench -- ${args.join(' ')}`.trim(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  options: { rounds, seconds, workers: workers || 'default', soakSeconds, scaleSizes, flask: flaskStyle },
};
if (parts.includes('throughput')) results.throughput = await throughput();
if (parts.includes('scale')) results.scale = [] as unknown[];
for (const size of parts.includes('scale') ? scaleSizes : []) (results.scale as unknown[]).push(await scale(size));
if (parts.includes('soak')) results.soak = await soak();
agent.destroy();

const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${(results.date as string).replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
const brief = JSON.parse(JSON.stringify(results, (k, v) => (k === 'rounds' ? undefined : v)));
process.stdout.write(`${JSON.stringify(brief, null, 2)}\n`);
log(`written ${file}`);
