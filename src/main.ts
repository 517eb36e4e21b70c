// Wiring: config → store → registry → HTTP app + sweeper. Three shapes of the same master:
// - single process (MASTER_WORKERS=1): HTTP, sweeper and nodes.json writer in one process;
// - primary (MASTER_WORKERS>1): owns the sweeper and the only nodes.json writer, forks the workers,
//   restarts a worker that dies, and rebuilds nodes.json when a worker reports a relevant change;
// - worker: serves HTTP on the shared port over its own connection to the shared database.
// Each returns `close()`, which finishes in-flight requests and closes the database cleanly.
import cluster, { type Worker } from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { createRegistry, type Registry } from './registry.js';
import { openSqliteStore } from './storage/sqlite.js';
import type { NodeStore } from './storage/store.js';
import { createNodesFilePublisher, type NodesFilePublisher } from './sweep/nodes-file.js';
import { createSweeper } from './sweep/scheduler.js';

/** A running master (any shape). */
export interface Running {
  /** Graceful stop: in-flight requests finish, the database is closed. */
  close(): Promise<void>;
}

/** Messages between the primary and its workers. */
type WorkerMessage = { type: 'argus:nodes-changed' } | { type: 'argus:listening' };
type PrimaryMessage = { type: 'argus:shutdown' };

const SHUTDOWN_TIMEOUT_MS = 15_000;
const RESPAWN_DELAY_MS = 1_000;

function thresholdsOf(config: Config) {
  return { onlineWithinMs: config.onlineThresholdSeconds * 1000, offlineAfterMs: config.offlineThresholdSeconds * 1000 };
}

function openStore(config: Config): NodeStore {
  return openSqliteStore({ path: config.dbPath, synchronous: config.sqliteSynchronous });
}

function makeRegistry(config: Config, store: NodeStore, logger: Logger, clock: Clock, onPublishedChange: () => void): Registry {
  return createRegistry({ store, clock, thresholds: thresholdsOf(config), idPrefix: config.nodeIdPrefix, logger, onPublishedChange });
}

function makePublisher(config: Config, store: NodeStore, logger: Logger): NodesFilePublisher {
  return createNodesFilePublisher({ path: config.nodesJsonPath, readOnline: () => store.onlineNodes(), logger });
}

async function listen(app: FastifyInstance, config: Config): Promise<void> {
  await app.listen({ host: config.bindHost, port: config.bindPort });
}

/** Everything in one process. */
export async function startSingle(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const store = openStore(config);
  const publisher = makePublisher(config, store, logger);
  const registry = makeRegistry(config, store, logger, clock, () => void publisher.publish());
  const sweeper = createSweeper({ registry, publisher, intervalMs: config.schedulerIntervalSeconds * 1000, logger });
  let app: FastifyInstance | undefined;
  try {
    await sweeper.start();
    app = await buildApp({ registry, logger, logRequests: config.logRequests });
    await listen(app, config);
  } catch (err) {
    await sweeper.stop();
    await app?.close();
    await store.close();
    throw err;
  }
  logger.info({ bind: `${config.bindHost}:${config.bindPort}`, workers: 1 }, 'master ready');
  return {
    async close() {
      await app.close();
      await sweeper.stop();
      await publisher.publish();
      await store.close();
    },
  };
}

/** The HTTP side of a cluster: serves requests, tells the primary when nodes.json may have changed. */
export async function startWorker(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const store = openStore(config);
  // The channel is closed once the primary is gone (this worker is then stopping): skip the notice.
  const notify = () => {
    if (process.connected) process.send?.({ type: 'argus:nodes-changed' } satisfies WorkerMessage);
  };
  const registry = makeRegistry(config, store, logger, clock, notify);
  const app = await buildApp({ registry, logger, logRequests: config.logRequests });
  try {
    await listen(app, config);
  } catch (err) {
    await app.close();
    await store.close();
    throw err;
  }
  process.send?.({ type: 'argus:listening' } satisfies WorkerMessage);
  return {
    async close() {
      await app.close();
      await store.close();
    },
  };
}

/**
 * The primary of a cluster: migrates the database, sweeps and publishes once, forks the workers and
 * resolves when all of them listen (rejects if one fails to start). Owns the sweeper and nodes.json.
 */
export async function startPrimary(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const log = logger.child({ module: 'primary' });
  const store = openStore(config); // applies migrations before any worker opens the file
  const publisher = makePublisher(config, store, logger);
  const registry = makeRegistry(config, store, logger, clock, () => void publisher.publish());
  const sweeper = createSweeper({ registry, publisher, intervalMs: config.schedulerIntervalSeconds * 1000, logger });
  await sweeper.start();

  let shuttingDown = false;
  let started = false;
  const onMessage = (msg: WorkerMessage) => {
    if (msg?.type === 'argus:nodes-changed') void publisher.publish();
  };

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', onMessage);
    worker.on('exit', (code, signal) => {
      if (shuttingDown || !started) return;
      log.error({ workerPid: worker.process.pid, code, signal }, 'worker died; starting a new one');
      setTimeout(() => {
        if (!shuttingDown) fork();
      }, RESPAWN_DELAY_MS).unref();
    });
    return worker;
  };

  const workers = Array.from({ length: config.workers }, fork);
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.on('message', (m: WorkerMessage) => m?.type === 'argus:listening' && resolve());
            w.on('exit', (code, signal) => reject(new Error(`worker ${w.process.pid} exited during start-up (code ${code}, signal ${signal})`)));
          }),
      ),
    );
  } catch (err) {
    shuttingDown = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGKILL');
    await sweeper.stop();
    await store.close();
    throw err;
  }
  started = true;
  log.info({ bind: `${config.bindHost}:${config.bindPort}`, workers: config.workers }, 'master ready');

  return {
    async close() {
      shuttingDown = true;
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      await Promise.all(
        alive.map(
          (w) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => {
                log.warn({ workerPid: w.process.pid }, 'worker did not stop in time; killing it');
                w.kill('SIGKILL');
              }, SHUTDOWN_TIMEOUT_MS);
              w.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              w.send({ type: 'argus:shutdown' } satisfies PrimaryMessage);
            }),
        ),
      );
      await sweeper.stop();
      await publisher.publish();
      await store.close();
    },
  };
}

/** In a worker: resolves when the primary asks it to shut down. */
export function shutdownRequested(): Promise<void> {
  return new Promise((resolve) => {
    process.on('message', (m: PrimaryMessage) => {
      if (m?.type === 'argus:shutdown') resolve();
    });
  });
}
