// The primary's workers (MASTER_WORKERS > 1): forks them, waits until each listens, forks a new one a
// second after one dies, and stops them on shutdown. Guarantees: start-up fails (every worker killed) if
// a worker exits before it listens; a worker that does not stop within SHUTDOWN_TIMEOUT_MS of the request
// is killed; no worker is forked once shutdown began.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { WorkerMessage } from './channel.js';

const SHUTDOWN_TIMEOUT_MS = 15_000;
const RESPAWN_DELAY_MS = 1_000;

/** The workers of the primary. */
export interface Supervisor {
  /** Resolves once every first worker listens; rejects if one exits before. */
  readonly started: Promise<void>;
  /** Workers alive and connected now. */
  liveWorkers(): Worker[];
  /** Asks each worker to stop (`shutdown`), kills the ones that do not, and waits for all. */
  close(): Promise<void>;
}

/** What the supervisor needs. */
export interface SupervisorOptions {
  count: number;
  /** Environment given to each worker beside the primary's. */
  env: Record<string, string>;
  /** A message of a worker (the cluster channel). */
  onMessage: (worker: Worker, msg: WorkerMessage) => void;
  /** A worker is gone (its state is forgotten). */
  onExit: (worker: Worker) => void;
  /** Asks a worker to stop gracefully. */
  shutdown: (worker: Worker) => void;
  logger: Logger;
  clock: Clock;
}

/** Forks the workers. */
export function superviseWorkers(options: SupervisorOptions): Supervisor {
  const log = options.logger.child({ module: 'primary' });
  let shuttingDown = false;
  let started = false;
  const fork = (): Worker => {
    const worker = cluster.fork(options.env);
    worker.on('message', (msg: WorkerMessage) => options.onMessage(worker, msg));
    worker.on('exit', (code, signal) => {
      options.onExit(worker);
      if (shuttingDown || !started) return;
      log.error({ workerPid: worker.process.pid, code, signal }, 'worker died; starting a new one');
      options.clock.setTimeout(() => {
        if (!shuttingDown) fork();
      }, RESPAWN_DELAY_MS).unref();
    });
    return worker;
  };
  const listening = (w: Worker) =>
    new Promise<void>((resolve, reject) => {
      w.on('message', (m: WorkerMessage) => m?.type === 'argus:listening' && resolve());
      w.on('exit', (code, signal) => reject(new Error(`worker ${w.process.pid} exited during start-up (code ${code}, signal ${signal})`)));
    });
  const first = Array.from({ length: options.count }, fork);
  const all = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  const readyAll = Promise.all(first.map(listening)).then(
    () => {
      started = true;
    },
    (err: unknown) => {
      shuttingDown = true;
      for (const w of all()) w.kill('SIGKILL');
      throw err;
    },
  );
  /** Stops one worker: asked, then killed after the timeout. */
  const stop = (w: Worker) =>
    new Promise<void>((resolve) => {
      const timer = options.clock.setTimeout(() => {
        log.warn({ workerPid: w.process.pid }, 'worker did not stop in time; killing it');
        w.kill('SIGKILL');
      }, SHUTDOWN_TIMEOUT_MS);
      w.once('exit', () => {
        timer.cancel();
        resolve();
      });
      options.shutdown(w);
    });
  return {
    started: readyAll,
    liveWorkers: () => all().filter((w) => !w.isDead() && w.isConnected()),
    async close() {
      shuttingDown = true;
      await Promise.all(all().filter((w) => !w.isDead()).map(stop));
    },
  };
}
