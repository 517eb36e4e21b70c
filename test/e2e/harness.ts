// Runs the built CLI (dist/cli.js) as a real process on loopback, for the end-to-end suites.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { strictJson, strictUtf8 } from '../helpers/strict-json.js';

export const CLI = join(import.meta.dirname, '../../dist/cli.js');

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A master process started by `startMaster`. */
export interface MasterProcess {
  base: string;
  api: string;
  nodesJsonPath: string;
  dbPath: string;
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to the primary only, or with `group` to every process of the master. */
  kill(signal: NodeJS.Signals, group?: boolean): void;
}

/** Starts `node dist/cli.js serve` (or another build's `cli`) in `dir` with second-scale thresholds; resolves when /readyz answers 200 and every worker listens. */
export async function startMaster(dir: string, env: Record<string, string> = {}, port?: number, cli = CLI): Promise<MasterProcess> {
  const p = port ?? (await freePort());
  const nodesJsonPath = join(dir, 'metric/prometheus/nodes.json');
  const dbPath = join(dir, 'master/db.sqlite3');
  const proc = spawn(process.execPath, [cli, 'serve'], {
    detached: true, // own process group, so a test can kill the primary and its workers at once
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      DB_PATH: dbPath,
      METRIC_NODES_JSON_PATH: nodesJsonPath,
      MASTER_BIND: `127.0.0.1:${p}`,
      MASTER_WORKERS: '2',
      ONLINE_THRESHOLD_SECONDS: '1.5',
      OFFLINE_THRESHOLD_SECONDS: '3',
      SCHEDULER_INTERVAL_SECONDS: '0.5',
      ...env,
    },
  });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const base = `http://127.0.0.1:${p}`;
  const master: MasterProcess = {
    base,
    api: `${base}/api/v1/master`,
    nodesJsonPath,
    dbPath,
    proc,
    output: () => out,
    exited,
    kill(signal, group = false) {
      try {
        process.kill(group ? -proc.pid! : proc.pid!, signal);
      } catch {
        // already gone
      }
    },
  };
  const quietLog = ['warn', 'error', 'fatal', 'silent'].includes((env.LOG_LEVEL ?? 'info').toLowerCase());
  let done = false;
  void exited.then(() => { done = true; });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !done) {
    try {
      const res = await fetch(`${base}/readyz`);
      // /readyz answers as soon as one worker listens; the primary logs "master ready" once every
      // worker does (tests that count which workers answered need all of them).
      // (With a log level above info the line is not written: /readyz alone then.)
      if (res.status === 200 && (quietLog || out.includes('"msg":"master ready"'))) return master;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  master.kill('SIGKILL', true);
  throw new Error(`master did not become ready:\n${out}`);
}

/** Stops a master with SIGTERM and returns its exit; kills the group if it hangs. */
export async function stopMaster(m: MasterProcess, timeoutMs = 15_000) {
  m.kill('SIGTERM');
  const timer = setTimeout(() => m.kill('SIGKILL', true), timeoutMs);
  const result = await m.exited;
  clearTimeout(timer);
  return result;
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 8_000, everyMs = 100): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as Exclude<T, false | null | undefined | 0 | ''>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await sleep(everyMs);
  }
}

/** Waits until nothing answers on `base` any more (the port was released); throws after `timeoutMs`. */
export async function waitUntilClosed(base: string, timeoutMs: number): Promise<void> {
  await waitFor(`${base} to stop answering`, async () => {
    try {
      await fetch(`${base}/healthz`);
      return false;
    } catch {
      return true;
    }
  }, timeoutMs);
}

/** A JSON request to the master; returns the status and parsed body. */
export async function request(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: strictJson(await res.arrayBuffer(), `${method} ${url}`) };
}

/**
 * A JSON request on a connection of its own (no keep-alive), so that successive calls reach the workers
 * in turn, as separate agents would; returns the status, parsed body and headers. With `timeoutMs`, a
 * request without an answer by then fails.
 */
export function requestFresh(method: string, url: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs?: number): Promise<{ status: number; body: any; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpRequest(url, {
      method,
      agent: false,
      headers: { connection: 'close', ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          const bytes = Buffer.concat(chunks);
          const type = String(res.headers['content-type'] ?? '');
          resolve({ status: res.statusCode!, body: type.startsWith('application/json') ? strictJson(bytes, `${method} ${url}`) : strictUtf8(bytes), headers: res.headers });
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('error', reject);
    // A master that is paused (SIGSTOP) accepts the connection in its kernel and never answers.
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.end(payload);
  });
}

let probeSeq = 0;
/**
 * Sends `count` requests, each on a new connection with a unique `probe` query parameter, and returns
 * each answer's status and the pid of the process that answered it, read from the master's request
 * log (the master must run with LOG_REQUESTS=true).
 */
export async function pidsAnswering(
  m: MasterProcess, method: string, url: string, count: number, options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Array<{ pid: number; status: number }>> {
  const sent: Array<{ probe: string; status: number }> = [];
  for (let i = 0; i < count; i++) {
    const probe = `p${process.pid}x${++probeSeq}`;
    const r = await requestFresh(method, `${url}${url.includes('?') ? '&' : '?'}probe=${probe}`, options.body, options.headers);
    sent.push({ probe, status: r.status });
  }
  return waitFor('the request log lines of every probe', () => {
    const lines = m.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { pid: number; msg: string; req?: { url: string } });
    const found = sent.map(({ probe, status }) => ({ status, pid: lines.find((l) => l.msg === 'incoming request' && l.req?.url.includes(`probe=${probe}`))?.pid }));
    return found.every((f) => f.pid !== undefined) && (found as Array<{ pid: number; status: number }>);
  }, 3_000, 20);
}

/** The pids of the running processes in the master's process group (primary and workers). */
export function processGroup(m: MasterProcess): number[] {
  const out = spawnSync('pgrep', ['-g', String(m.proc.pid)], { encoding: 'utf8' }).stdout.trim();
  return out === '' ? [] : out.split('\n').map(Number);
}

/** The parsed nodes.json (throws if it is missing or not whole JSON). */
export function readNodesJson(m: MasterProcess): Array<{ node_id: string; user_id: string; ip: string; hostname: string; labels: string[] }> {
  return strictJson(readFileSync(m.nodesJsonPath), 'nodes.json');
}

/** Waits until `m`'s nodes.json lists `count` nodes (a missing file is not yet); throws after `timeoutMs`. */
export function waitForNodesJson(m: MasterProcess, count: number, timeoutMs: number): Promise<true> {
  return waitFor(`nodes.json listing ${count} nodes`, () => readNodesJson(m).length === count, timeoutMs);
}
