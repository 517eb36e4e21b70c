// An open-loop load: status reports sent on a fixed schedule (request i at start + i / rate), whatever
// the answers do, and each latency measured from the request's *scheduled* time, so a stall of the
// server shows in full instead of being hidden by a client that waits before sending the next request
// (coordinated omission). At most `clients` connections (keep-alive); a request due while all are busy
// waits for one, and that wait counts. Bounded: rate × seconds requests, and a drain of at most 30 s.
import { Agent, request as httpRequest } from 'node:http';
import { percentile } from './measure.js';
import { watchStalls } from './fleet.js';

export interface OpenLoopResult {
  rate: number;
  seconds: number;
  sent: number;
  errors: number;
  p50ms: number;
  p99ms: number;
  p999ms: number;
  maxMs: number;
  /** The generator's own longest event-loop stall: a figure is only as good as this is small. */
  clientMaxStallMs: number;
  /** Per second of the schedule (by scheduled time): requests, p99 and max in ms — where a stall happened. */
  perSecond: Array<{ second: number; count: number; p99ms: number; maxMs: number }>;
}

/** Sends `rate` status reports a second for `seconds` over nodes A1…A<nodes>, spread over `bases` in turn. */
export async function openLoopReports(bases: string[], options: { rate: number; seconds: number; nodes: number; clients?: number }): Promise<OpenLoopResult> {
  const { rate, seconds, nodes } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients ?? 30 });
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const bySecond: number[][] = Array.from({ length: Math.ceil(seconds) }, () => []);
  let errors = 0;
  let done = 0;
  const body = JSON.stringify({ timestamp: new Date().toISOString(), health: { 'log-fluentbit': { status: 'healthy' } } });
  const send = (i: number, scheduledAt: number) => {
    const base = bases[i % bases.length]!;
    const id = `A${1 + ((i * 7919) % nodes)}`;
    const req = httpRequest(`${base}/api/v1/master/nodes/${id}/status`, { method: 'PUT', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        done++;
        if (res.statusCode === 200) {
          const ms = performance.now() - scheduledAt;
          latencies.push(ms);
          bySecond[Math.min(bySecond.length - 1, Math.floor(i / rate))]!.push(ms);
        } else errors++;
      });
    });
    req.on('error', () => {
      done++;
      errors++;
    });
    req.on('timeout', () => req.destroy());
    req.end(body);
  };
  const stalls = watchStalls();
  const start = performance.now();
  const intervalMs = 1000 / rate;
  let next = 0;
  while (next < total) {
    const now = performance.now();
    for (; next < total && start + next * intervalMs <= now; next++) send(next, start + next * intervalMs);
    await new Promise((r) => setTimeout(r, 1));
  }
  const clientMaxStallMs = stalls.stop();
  const drainUntil = performance.now() + 30_000;
  while (done < total && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  errors += total - done;
  agent.destroy();
  return {
    rate, seconds, sent: total, errors,
    p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99), p999ms: percentile(latencies, 99.9),
    maxMs: Number(latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(2)),
    clientMaxStallMs: Number(clientMaxStallMs.toFixed(1)),
    perSecond: bySecond.map((xs, second) => ({ second, count: xs.length, p99ms: percentile(xs, 99), maxMs: Number(xs.reduce((a, b) => Math.max(a, b), 0).toFixed(2)) })),
  };
}
