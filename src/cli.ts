#!/usr/bin/env node
// The `argus-master` command's entry (package bin): it reads argv, and loads only what the command needs,
// so that a client command starts without the master's modules (Fastify, SQLite, pino: ~250 ms):
//   argus-master [serve] | dns-monitor | copy-db | --version | --help     the master's (cli-master.ts)
//   argus-master nodes|maint|events|hooks|stats|wait …                     the operator's (client/main.ts)
// With cli-master.ts, the only module that reads process.env and argv, handles signals and exits.
import cluster from 'node:cluster';

const CLIENT = new Set(['nodes', 'maint', 'events', 'hooks', 'stats', 'availability', 'wait']);

/** A client command; leaves at once when done (kept-alive connections would hold the process for seconds). */
async function client(argv: string[]): Promise<number> {
  const { runClient } = await import('./client/main.js');
  const abort = new AbortController();
  // A reader that stopped reading (`| head`) ends the command quietly, as other tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  const out = { write: (text: string) => void process.stdout.write(text), isTTY: process.stdout.isTTY === true, columns: process.stdout.columns ?? 120, nowMs: Date.now() };
  const code = await runClient(argv, process.env, out, (line) => process.stderr.write(`${line}\n`), abort.signal);
  // Leave once stdout is flushed: a pipe whose reader is slower than us fills, and what Node then queues
  // would be lost by exiting (`nodes ls -o json | …` cut after 24 KB, once). The callback of this last
  // write runs after every earlier one is out.
  process.stdout.write('', () => process.exit(code));
  return code;
}

async function main(argv: string[]): Promise<number> {
  if (CLIENT.has(argv[0] ?? '')) return client(argv);
  const { masterMain } = await import('./cli-master.js');
  return masterMain(argv);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Workers and the single process may keep handles (e.g. the IPC channel); leave promptly.
    if (code !== 0 || cluster.isWorker) setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`argus-master: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
