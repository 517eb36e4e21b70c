// A throwaway PostgreSQL server for the tests and the bench: Debian's `postgresql` binaries (or
// PG_BIN), initdb in a temp dir and `postgres` on a free loopback port, run as the `postgres` user when
// we are root (PostgreSQL refuses to run as root). Never touches port 5432 or a cluster it did not make.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep } from '../e2e/harness.js';

/** The directory of initdb and postgres, or null. */
export function postgresBin(): string | null {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'postgres')) ? process.env.PG_BIN : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** Why PostgreSQL tests cannot run here, or null when they can. */
export function postgresMissing(): string | null {
  if (!postgresBin()) return 'no PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN): the PostgreSQL tests did not run';
  if (userInfo().uid === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root without a postgres user to run the server as: the PostgreSQL tests did not run';
  return null;
}

export interface PostgresServer {
  /** postgres://argus@127.0.0.1:<port>/postgres */
  adminUrl: string;
  port: number;
  /** A URL of a new, empty database. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (as if its host died: SIGKILL) without removing its data. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data after `kill` or `stop`. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

let databases = 0;

/**
 * Starts a new server; throws when it cannot. By default it trades durability for speed (fsync and
 * synchronous commit off: a test's data need not survive a power cut); `durable` keeps PostgreSQL's own
 * defaults, as a production server has them (the benchmark's).
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new Error(postgresMissing() ?? 'no PostgreSQL');
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'argus-pg-'));
  chmodSync(dir, 0o700);
  // As root, the server's processes run as `postgres` (spawned with its uid and gid: signals reach them directly).
  let as: { uid: number; gid: number } | Record<string, never> = {};
  if (asRoot) {
    as = {
      uid: Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()),
      gid: Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()),
    };
    chownSync(dir, as.uid, as.gid);
  }
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', HOME: dir };
  const run = (cmd: string, args: string[]) => ({ cmd: join(bin, cmd), args });
  const data = join(dir, 'data');
  const init = run('initdb', ['-D', data, '-U', 'argus', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const r = spawnSync(init.cmd, init.args, { encoding: 'utf8', timeout: 60_000, env, cwd: dir, ...as });
  if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr || r.stdout}`);
  const port = await freePort();
  let proc: ChildProcess | null = null;
  let output = '';
  const start = async () => {
    const fast = options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
    const p = run('postgres', ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', ...fast, '-c', 'max_connections=200']);
    proc = spawn(p.cmd, p.args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: dir, ...as });
    proc.stdout!.on('data', (d) => { output += d; });
    proc.stderr!.on('data', (d) => { output += d; });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const ready = spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'argus'], { timeout: 5_000 });
      if (ready.status === 0) return;
      if (proc.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error(`PostgreSQL did not start:\n${output}`);
  };
  const halt = async (signal: NodeJS.Signals) => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill(signal);
    await exited;
  };
  await start();
  const adminUrl = `postgres://argus@127.0.0.1:${port}/postgres`;
  const psql = (sql: string) => {
    const q = spawnSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'argus', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8', timeout: 30_000 });
    if (q.status !== 0) throw new Error(`psql failed: ${q.stderr}`);
  };
  return {
    adminUrl,
    port,
    async createDatabase(name = `argus_test_${process.pid}_${++databases}`) {
      psql(`CREATE DATABASE ${name}`);
      return `postgres://argus@127.0.0.1:${port}/${name}`;
    },
    kill: () => halt('SIGKILL'),
    async restart() {
      await halt('SIGINT');
      await start();
    },
    async stop() {
      await halt('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
