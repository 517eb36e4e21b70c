// wrk (Debian's package) as the load generator: 2 threads, 64 connections, a 2 s warm-up of the same
// load first; a run with a non-2xx answer or a socket error is marked invalid.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { log, seconds } from './options.js';

/** One wrk figure. */
export interface WrkResult {
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

export function wrk(url: string, script: string, scriptArgs: string[] = []): WrkResult {
  if (!existsSync(script)) throw new Error(`no wrk script at ${script}`);
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
