// Measurements shared by the parts: sequential-request latency, the master's CPU time, and status
// reports by wrk with the master's CPU per 1,000 reports.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { MasterProcess } from '../../test/e2e/harness.js';
import { call } from './fleet.js';
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
