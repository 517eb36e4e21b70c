// Part notify (issues 25 and 26): with the master's defaults (NOTIFY_MAX_PER_MINUTE 30) and the brake
// off, `--notify-nodes` (10,000) nodes go offline in one sweep; a webhook receiver on loopback counts the
// requests and events it gets and when the last one arrived after the sweep's events. Then the command
// line lists `--selector-nodes` (100,000) nodes with `nodes ls -o json` to /dev/null: its time and the
// client's peak memory (VmHWM), which must not grow with the fleet.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/fixtures.js';
import { CLI, requestFresh, startMaster, stopMaster, waitFor } from '../../test/e2e/harness.js';
import { seed } from '../lib/fleet.js';
import { log, masterEnv } from '../lib/options.js';

/** A receiver answering 204 that counts requests and events (digests unfolded). */
async function receiver() {
  const got = { requests: 0, events: 0, lastAtMs: 0, digests: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const msg = JSON.parse(body) as { type: string; data: { events?: unknown[] } };
      got.requests++;
      if (msg.type === 'digest') got.digests++;
      got.events += msg.type === 'digest' ? msg.data.events!.length : msg.type === 'test' ? 0 : 1;
      got.lastAtMs = Date.now();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** 10,000 nodes offline at once to one receiver. */
async function burst(nodes: number) {
  const t = tempDir('argus-bench-notify-');
  const r = await receiver();
  const OFFLINE = 15;
  seed(join(t.dir, 'master/db.sqlite3'), nodes, Date.now());
  const m = await startMaster(t.dir, masterEnv({ OFFLINE_THRESHOLD_SECONDS: String(OFFLINE), ONLINE_THRESHOLD_SECONDS: '10', SCHEDULER_INTERVAL_SECONDS: '1', OFFLINE_BRAKE: 'off' }));
  try {
    await requestFresh('POST', `${m.api}/notifications/endpoints`, { name: 'bench', url: r.url });
    const sweptAt = await waitFor('every node offline', async () => {
      const s = (await requestFresh('GET', `${m.api}/nodes/statistics`)).body as { status_statistics: Array<{ status: string; count: number }> };
      return s.status_statistics.find((x) => x.status === 'offline')?.count === nodes ? Date.now() : 0;
    }, (OFFLINE + 30) * 1000, 100);
    const events = (await requestFresh('GET', `${m.api}/events?type=node.status&limit=1`)).body as Array<{ time: string }>;
    const firstEventMs = Date.parse(events[0]!.time);
    await waitFor(`${nodes} events received`, () => r.got.events >= nodes, 60_000, 50);
    const figure = { nodes, requests: r.got.requests, digests: r.got.digests, lastAfterFirstEventMs: r.got.lastAtMs - firstEventMs, sweepSeenMs: sweptAt - firstEventMs };
    log(`  ${nodes} nodes offline in one sweep: ${figure.requests} requests (${figure.digests} digests), the last ${figure.lastAfterFirstEventMs} ms after the first offline event`);
    return figure;
  } finally {
    await stopMaster(m);
    await r.close();
    t.cleanup();
  }
}

/** `nodes ls -o json` of a large fleet: time, and the client's peak resident memory. */
async function listing(nodes: number) {
  const t = tempDir('argus-bench-cli-');
  seed(join(t.dir, 'master/db.sqlite3'), nodes, Date.now());
  const m = await startMaster(t.dir, masterEnv());
  try {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, 'nodes', 'ls', '-o', 'json'], { env: { PATH: process.env.PATH, ARGUS_URL: m.base }, stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    let hwmKb = 0;
    child.stdout.on('data', (d: Buffer) => { bytes += d.length; });
    const timer = setInterval(() => {
      try {
        hwmKb = Number(/VmHWM:\s+(\d+)/.exec(execFileSync('cat', [`/proc/${child.pid}/status`], { encoding: 'utf8' }))?.[1] ?? hwmKb);
      } catch { /* gone */ }
    }, 20);
    const code = await new Promise<number>((r) => child.on('exit', (c) => r(c ?? -1)));
    clearInterval(timer);
    const figure = { nodes, exitCode: code, seconds: (Date.now() - started) / 1000, megabytes: Number((bytes / 1e6).toFixed(1)), clientPeakRssMb: Math.round(hwmKb / 1024) };
    log(`  nodes ls -o json of ${nodes} nodes: ${figure.seconds} s, ${figure.megabytes} MB written, client peak RSS ${figure.clientPeakRssMb} MB (exit ${code})`);
    return figure;
  } finally {
    await stopMaster(m);
    t.cleanup();
  }
}

export async function notify(burstNodes: number, listNodes: number) {
  log(`notify: ${burstNodes} nodes offline at once to a webhook (defaults: 30 messages a minute); the command line listing ${listNodes} nodes`);
  return { targets: 'offline burst as digests within 10 s; nodes ls -o json of 100,000 nodes under 5 s, memory flat', burst: await burst(burstNodes), listing: [await listing(Math.round(listNodes / 10)), await listing(listNodes)] };
}
