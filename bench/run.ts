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
//   history     --history-nodes (100,000): a sweep taking all offline with its events, filtered list
//               pages and GET /events latency, retention of --history-events (1,000,000) events, and
//               status reports with 100 open event streams (bench/parts/history.ts).
//   dashboard   --dashboard-nodes (100,000) in Chromium: navigation to the table, a search, the page's
//               memory across live refreshes, the live fragment's latency, and status reports with 20
//               open dashboards (bench/parts/dashboard.ts; needs /usr/bin/chromium or CHROMIUM_PATH).
//   ha          two masters on one PostgreSQL beside one SQLite master: status reports by wrk and an
//               open-loop 3,000 reports/s over --ha-load-nodes (10,000), and the failover time at
//               --ha-nodes (100,000) (bench/parts/ha.ts; needs Debian's postgresql).
//   latency     open-loop status reports at 1,700 and 3,000/s over --latency-nodes (100,000) for
//               --latency-seconds (60), the bare-http ceiling measured the same way (bench/parts/latency.ts).
//   million     --million-nodes (1,000,000) on SQLite: sweeps, nodes.json, start-up, memory, list pages,
//               http_sd of a 1% shard, the database's size, and a simulated --flap-hours (24) with 1% of
//               the fleet flapping: the events table's growth (bench/parts/million.ts).
//   selectors   at --selector-nodes (100,000): pages of 50 plain and selected (label, status, meta_data),
//               each after a change; sweeps with and without 1,000 nodes in maintenance (bench/parts/selectors.ts).
//   side        with --baseline <built checkout>: open-loop 3,000 reports/s over --latency-nodes for
//               --latency-seconds, this build and the other alternately, --rounds rounds (not in the
//               default set: it needs a baseline; bench/parts/side-by-side.ts).
//   notify      10,000 nodes offline at once to a webhook (--notify-nodes), and the command line listing
//               --selector-nodes (100,000) nodes (bench/parts/notify.ts).
//   availability --availability-nodes (100,000) with 30 days of events, 1% flapping: availability over
//               30 days, by a field, as CSV; statistics by a field; the history chart's data; the overview
//               in Chromium (bench/parts/availability.ts).
// Options: --only throughput,scale,soak,history,dashboard,ha,latency,million,selectors,notify,availability  --rounds 3  --seconds 5  --workers N  --soak-seconds 300
//          --scale-sizes 10000,100000  --flask wal|plain|off (the reference's style, see app.py)
// Every loop is bounded in count and time; every request goes to 127.0.0.1.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { agent } from './lib/fleet.js';
import { args, availabilityNodes, baseline, notifyNodes, sideEndpoints, selectorNodes, dashboardNodes, flaskStyle, haLoadNodes, haNodes, historyEvents, flapHours, historyNodes, latencyNodes, latencySeconds, log, millionHalves, millionNodes, parts, rounds, scaleSizes, seconds, soakSeconds, workers } from './lib/options.js';
import { dashboard } from './parts/dashboard.js';
import { ha } from './parts/ha.js';
import { history } from './parts/history.js';
import { latency } from './parts/latency.js';
import { sideBySide } from './parts/side-by-side.js';
import { selectors } from './parts/selectors.js';
import { notify } from './parts/notify.js';
import { availability } from './parts/availability.js';
import { million } from './parts/million.js';
import { scale } from './parts/scale.js';
import { soak } from './parts/soak.js';
import { throughput } from './parts/throughput.js';

// -------------------------------------------------------------------------------------------- main

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  command: `npm run bench -- ${args.join(' ')}`.trim(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  options: { rounds, seconds, workers: workers || 'default', soakSeconds, scaleSizes, flask: flaskStyle, historyNodes, historyEvents, dashboardNodes, haNodes, haLoadNodes, latencyNodes, latencySeconds, selectorNodes, millionNodes, millionHalves, flapHours },
};
if (parts.includes('throughput')) results.throughput = await throughput();
if (parts.includes('scale')) results.scale = [] as unknown[];
for (const size of parts.includes('scale') ? scaleSizes : []) (results.scale as unknown[]).push(await scale(size));
if (parts.includes('soak')) results.soak = await soak();
if (parts.includes('history')) results.history = await history(historyNodes, historyEvents);
if (parts.includes('dashboard')) results.dashboard = await dashboard(dashboardNodes);
if (parts.includes('ha')) results.ha = await ha(haLoadNodes, haNodes);
if (parts.includes('latency')) results.latency = await latency(latencyNodes, latencySeconds);
if (parts.includes('side')) results.side = await sideBySide(baseline, latencyNodes, latencySeconds, rounds, 3000, sideEndpoints);
if (parts.includes('selectors')) results.selectors = await selectors(selectorNodes);
if (parts.includes('notify')) results.notify = await notify(notifyNodes, selectorNodes);
if (parts.includes('availability')) results.availability = await availability(availabilityNodes);
if (parts.includes('million')) results.million = await million(millionNodes, flapHours, millionHalves);
agent.destroy();

const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${(results.date as string).replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
const brief = JSON.parse(JSON.stringify(results, (k, v) => (k === 'rounds' ? undefined : v)));
process.stdout.write(`${JSON.stringify(brief, null, 2)}\n`);
log(`written ${file}`);
