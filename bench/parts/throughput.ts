// Part `throughput`: wrk against status reports (also with 1% of them changing health), registrations,
// GET /nodes/{id}, GET /nodes (1,000 nodes) and statistics, each bracketed by the bare-http ceiling and
// followed by the Flask reference.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort, startMaster, stopMaster } from '../../test/e2e/harness.js';
import { tempDir } from '../../test/helpers/fixtures.js';
import { call, registerFleet, reportFleet } from '../lib/fleet.js';
import { startCeiling } from '../lib/measure.js';
import { baseline, FLEET, flaskStyle, log, lua, masterEnv, median, rounds, seconds, workers } from '../lib/options.js';
import { wrk, type WrkResult } from '../lib/wrk.js';

/** The issue's Flask figures (its reference machine, whose ceiling was 49,000 req/s). */
const FLASK = { status: 920, statusP99: 130, register: 880, getNode: 2600, list: 570, statistics: 2700 };
const FLASK_APP_DIR = join(import.meta.dirname, '..', 'flask');

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

export async function throughput() {
  log(`throughput: ${rounds} rounds × ${seconds} s per figure, wrk -t2 -c64, ${FLEET} registered nodes`);
  const ceiling = await startCeiling();
  const figures: Record<string, WrkResult[]> = { ceiling: [], status: [], statusHealth: [], register: [], getNode: [], list: [], statistics: [] };
  // The same figures of the Flask reference, measured right after each of ours, when it can run here.
  const withFlask = flaskAvailable();
  if (!withFlask) log('  no Flask reference (needs python3 with flask and gunicorn): "vs Flask" uses the issue\'s figures');
  const flask: Record<string, WrkResult[]> = { status: [], statusHealth: [], register: [], getNode: [], list: [], statistics: [] };
  // Another build (--baseline <checkout>), measured beside each of our figures (after it in odd rounds,
  // before it in even ones).
  const baselineCli = baseline ? join(baseline, 'dist', 'cli.js') : '';
  if (baselineCli) log(`  baseline: ${baselineCli}, measured right after each figure`);
  const other: Record<string, WrkResult[]> = { status: [], statusHealth: [], register: [], getNode: [], list: [], statistics: [] };
  let workerCount = '';
  try {
    // The ceiling is measured right before and right after every figure, and the figure is divided by
    // their mean: on a shared machine the ceiling moves by a third within a minute.
    const ceilingRun = () => wrk(`${ceiling.base}/`, lua('ceiling.lua'));
    for (let round = 1; round <= rounds; round++) {
      const t = tempDir('argus-bench-');
      const m = await startMaster(t.dir, masterEnv());
      const b = baselineCli ? await startMaster(join(t.dir, 'baseline'), masterEnv(), undefined, baselineCli) : null;
      const f = withFlask ? await startFlask(t.dir) : null;
      workerCount = workers || 'default';
      try {
        for (const base of [m.base, b?.base, f?.base]) {
          if (!base) continue;
          await registerFleet(base, FLEET);
          await reportFleet(base, FLEET); // steady state: the fleet is online, as between real reports
        }
        let before = ceilingRun();
        figures.ceiling!.push(before);
        const measure = (name: string, run: (base: string, api: string) => WrkResult) => {
          // The baseline goes first in even rounds: neither build always runs on the warmer machine.
          if (b && round % 2 === 0) other[name]!.push(run(b.base, b.api));
          const result = run(m.base, m.api);
          if (b && round % 2 === 1) other[name]!.push(run(b.base, b.api));
          if (f) flask[name]!.push(run(f.base, `${f.base}/api/v1/master`));
          const after = ceilingRun();
          figures.ceiling!.push(after);
          figures[name]!.push({ ...result, ceilingRps: (before.rps + after.rps) / 2 });
          before = after;
        };
        measure('status', (base) => wrk(base, lua('status.lua'), [String(FLEET), 'A']));
        // 1% of the reports change the node's health (SPEC §14: derived on the report path, an event each).
        measure('statusHealth', (base) => wrk(base, lua('status-health.lua'), [String(FLEET), 'A']));
        measure('getNode', (base) => wrk(base, lua('get-node.lua'), [String(FLEET), 'A']));
        measure('list', (_base, api) => wrk(`${api}/nodes`, lua('get.lua')));
        measure('statistics', (_base, api) => wrk(`${api}/nodes/statistics`, lua('get.lua')));
        measure('register', (base) => wrk(base, lua('register.lua'), [`r${round}`]));
      } finally {
        await f?.stop();
        if (b) await stopMaster(b);
        await stopMaster(m);
        t.cleanup();
      }
      const s = figures.status!.at(-1)!;
      const fs = flask.status!.at(-1);
      const bs = other.status!.at(-1);
      log(`  round ${round}: status ${Math.round(s.rps)}/s, p99 ${s.p99ms} ms, ceiling around it ${Math.round(s.ceilingRps ?? 0)}/s${bs ? `; baseline ${Math.round(bs.rps)}/s, p99 ${bs.p99ms} ms` : ''}${fs ? `; Flask ${Math.round(fs.rps)}/s, p99 ${fs.p99ms} ms` : ''}`);
    }
  } finally {
    ceiling.stop();
  }
  const summary: Record<string, unknown> = { workers: workerCount, flask: withFlask ? flaskStyle : 'not measured', baseline: baseline || undefined };
  // Each figure is divided by the ceiling measured around it, and by the Flask figure measured right
  // after it (or, without Flask here, the issue's figure); medians over the rounds are reported.
  for (const [name, runs] of Object.entries(figures)) {
    const valid = runs.every((r) => r.valid);
    const rps = median(runs.map((r) => r.rps));
    const ofCeiling = median(runs.map((r) => r.rps / (r.ceilingRps ?? r.rps)));
    const ref = flask[name] ?? [];
    const base = other[name] ?? [];
    const issueFigure = FLASK[name as keyof typeof FLASK] as number | undefined;
    summary[name] = {
      rps: Math.round(rps),
      p50ms: median(runs.map((r) => r.p50ms)),
      p99ms: median(runs.map((r) => r.p99ms)),
      valid,
      ofCeiling: Number(ofCeiling.toFixed(3)),
      vsFlask: ref.length > 0 ? Number(median(runs.map((r, i) => r.rps / ref[i]!.rps)).toFixed(1)) : undefined,
      vsBaseline: base.length > 0 ? Number(median(runs.map((r, i) => r.rps / base[i]!.rps)).toFixed(3)) : undefined,
      baseline: base.length > 0 ? { rps: Math.round(median(base.map((r) => r.rps))), p50ms: median(base.map((r) => r.p50ms)), p99ms: median(base.map((r) => r.p99ms)), valid: base.every((r) => r.valid) } : undefined,
      vsIssueFlaskFigure: issueFigure ? Number((rps / issueFigure).toFixed(1)) : undefined,
      flask: ref.length > 0 ? { rps: Math.round(median(ref.map((r) => r.rps))), p50ms: median(ref.map((r) => r.p50ms)), p99ms: median(ref.map((r) => r.p99ms)), valid: ref.every((r) => r.valid), rounds: ref } : undefined,
      rounds: runs,
    };
  }
  return summary;
}
