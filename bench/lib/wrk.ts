// wrk (Debian's package) as the load generator: 2 threads, 64 connections, a 2 s warm-up of the same
// load first; a run with a non-2xx answer or a socket error is marked invalid. `wrkTogether` drives
// several masters at once.
import { spawn, spawnSync } from 'node:child_process';
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

/** Reads wrk's report (`out`, its exit status) into a figure. */
function parseWrk(out: string, status: number | null, stderr = ''): WrkResult {
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
    valid: status === 0 && non2xx === 0 && socketErrors === 0,
  };
  if (!res.valid) log(`  invalid run (${non2xx} non-2xx, ${socketErrors} socket errors, exit ${status}): ${out.slice(0, 400)}${stderr}`);
  return res;
}

export function wrk(url: string, script: string, scriptArgs: string[] = []): WrkResult {
  if (!existsSync(script)) throw new Error(`no wrk script at ${script}`);
  // Warm-up: 2 s of the same load first (JIT, caches, connection set-up), not counted.
  spawnSync('wrk', ['-t2', '-c64', '-d2s', '-s', script, url, '--', ...scriptArgs, 'warmup'], { encoding: 'utf8', timeout: 30_000 });
  const r = spawnSync('wrk', ['-t2', '-c64', `-d${seconds}s`, '--latency', '-s', script, url, '--', ...scriptArgs], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  return parseWrk(r.stdout ?? '', r.status, r.stderr ?? '');
}

/** One wrk run as a child process (bounded by `timeoutMs`): its output and exit status. */
function wrkAsync(args: string[], timeoutMs: number): Promise<{ out: string; status: number | null }> {
  return new Promise((resolve) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ out, status });
    });
  });
}

/**
 * wrk against several masters at once (one wrk process each, one thread, 64 connections shared out),
 * after a 2 s warm-up of the same load: the summed rate, and the worst p50 and p99 of the parts.
 */
export async function wrkTogether(urls: string[], script: string, scriptArgs: string[] = []): Promise<WrkResult & { parts: WrkResult[] }> {
  if (!existsSync(script)) throw new Error(`no wrk script at ${script}`);
  const conns = String(Math.floor(64 / urls.length));
  await Promise.all(urls.map((u) => wrkAsync(['-t1', `-c${conns}`, '-d2s', '-s', script, u, '--', ...scriptArgs, 'warmup'], 30_000)));
  const runs = await Promise.all(urls.map((u) => wrkAsync(['-t1', `-c${conns}`, `-d${seconds}s`, '--latency', '-s', script, u, '--', ...scriptArgs], (seconds + 30) * 1000)));
  const parts = runs.map((r) => parseWrk(r.out, r.status));
  return {
    rps: Number(parts.reduce((a, p) => a + p.rps, 0).toFixed(2)),
    p50ms: Math.max(...parts.map((p) => p.p50ms)),
    p99ms: Math.max(...parts.map((p) => p.p99ms)),
    requests: parts.reduce((a, p) => a + p.requests, 0),
    non2xx: parts.reduce((a, p) => a + p.non2xx, 0),
    socketErrors: parts.reduce((a, p) => a + p.socketErrors, 0),
    valid: parts.every((p) => p.valid),
    parts,
  };
}
