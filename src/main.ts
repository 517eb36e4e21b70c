// Wiring: config → store → registry → HTTP app + sweeper. Three shapes of the same master:
// - single process (MASTER_WORKERS=1): HTTP, sweeper and published files in one process;
// - primary (MASTER_WORKERS>1): owns the sweeper and the only writer of the published files (nodes.json,
//   file_sd), forks the workers, restarts a worker that dies, rebuilds the files when a worker reports a
//   relevant change, and merges every process's metrics for /metrics;
// - worker: serves HTTP on the shared port over its own connection to the shared database.
// Each returns `close()`, which finishes in-flight requests and closes the database cleanly.
import cluster, { type Worker } from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createAuthenticator } from './auth.js';
import type { AppOptions } from './http/app.js';
import { createPrimaryChannel, openWorkerChannel, type PrimaryChannel, type WorkerMessage } from './cluster/channel.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createRegistry, type Registry } from './registry.js';
import { openSqliteStore } from './storage/sqlite/index.js';
import { createStorageHealth, type StorageHealth, type WritesFailing } from './storage/health.js';
import type { NodeStore } from './storage/store.js';
import { createFilePublisher, type FilePublisher } from './sweep/published-file.js';
import { createSweeper } from './sweep/scheduler.js';

/** A running master (any shape). */
export interface Running {
  /** Graceful stop: in-flight requests finish, the database is closed. */
  close(): Promise<void>;
}

const SHUTDOWN_TIMEOUT_MS = 15_000;
const RESPAWN_DELAY_MS = 1_000;
/** Published files are rebuilt at most every 100 ms: prompt, yet a burst of changes costs few rebuilds. */
const PUBLISH_MIN_INTERVAL_MS = 100;
const NEWLINE = Buffer.from('\n');

function thresholdsOf(config: Config) {
  return { onlineWithinMs: config.onlineThresholdSeconds * 1000, offlineAfterMs: config.offlineThresholdSeconds * 1000 };
}

function openStore(config: Config, health: StorageHealth): NodeStore {
  return openSqliteStore({ path: config.dbPath, synchronous: config.sqliteSynchronous, health });
}

/** This process's storage failure tracker, counting into `metrics`. */
function makeHealth(logger: Logger, clock: Clock, metrics: Metrics, onChange?: (state: WritesFailing | null) => void): StorageHealth {
  return createStorageHealth({ logger, clock, count: (code) => metrics.storageErrors.inc({ code }), onChange });
}

function makeRegistry(
  config: Config, store: NodeStore, logger: Logger, clock: Clock, metrics: Metrics, onPublishedChange: () => void,
  writesFailing: () => WritesFailing[],
): Registry {
  const b = config.offlineBrake;
  return createRegistry({
    store, clock, thresholds: thresholdsOf(config), idPrefix: config.nodeIdPrefix, logger, metrics, onPublishedChange, writesFailing,
    gcAfterMs: config.nodeGcSeconds * 1000,
    flap: { transitions: config.flapTransitions, windowMs: config.flapWindowSeconds * 1000 },
    eventRetention: { maxAgeMs: config.eventsRetentionDays * 86_400_000, maxPerNode: config.eventsMaxPerNode },
    offlineBrake: b ? { ratio: b.ratio, minNodes: b.minNodes, maxHoldMs: b.maxHoldSeconds * 1000 } : null,
  });
}

/**
 * The sweeping process (the single process, or the primary): its store, metrics (with node counts),
 * registry, published files and sweeper. A change that may alter the files triggers `publish`.
 */
function openSweepingSide(config: Config, logger: Logger, clock: Clock, onStorageChange?: (state: WritesFailing | null) => void) {
  const metrics = createMetrics({
    nodeCounts: () => store.statistics(),
    flappingCount: async () => (await store.statisticsOf({ statuses: [], labels: [], q: null, flapping: true })).reduce((n, c) => n + c.count, 0),
  });
  const health = makeHealth(logger, clock, metrics, onStorageChange);
  const store = openStore(config, health);
  let publishNow: () => Promise<unknown> = async () => undefined;
  const own = () => health.writesFailing();
  const registry = makeRegistry(config, store, logger, clock, metrics, () => void publishNow(), () => (own() ? [own()!] : []));
  const { publish, sweeper } = makePublishing(config, store, registry, logger, metrics);
  publishNow = publish;
  return { store, metrics, registry, publish, sweeper, health };
}

/** Published files and the sweeper, over a registry. */
function makePublishing(config: Config, store: NodeStore, registry: Registry, logger: Logger, metrics: Metrics) {
  const onResult = (file: string) => (result: string) => {
    metrics.fileWrites.inc({ file, result });
    if (result === 'written') metrics.lastFileWrite.setToCurrentTime({ file });
  };
  const publishers: FilePublisher[] = [
    createFilePublisher({ name: 'nodes.json', path: config.nodesJsonPath, read: () => store.nodesFileDocument(), render: (d) => d.parts, count: (d) => d.nodes, logger, onResult: onResult('nodes_json'), minIntervalMs: PUBLISH_MIN_INTERVAL_MS }),
  ];
  if (config.prometheusFileSdPath) {
    const ports = config.prometheusSdPorts;
    publishers.push(
      createFilePublisher({
        name: 'file_sd', path: config.prometheusFileSdPath, logger, onResult: onResult('file_sd'), minIntervalMs: PUBLISH_MIN_INTERVAL_MS,
        read: () => registry.fileSdDocument(ports),
        render: (d) => [...d.parts, NEWLINE],
        count: (d) => d.groups,
      }),
    );
  }
  const publish = () => Promise.all(publishers.map((p) => p.publish()));
  const intervalMs = config.schedulerIntervalSeconds * 1000;
  const log = logger.child({ module: 'sweeper' });
  const afterTick = async () => {
    const publishErrors = publishers.flatMap((p) => {
      const err = p.lastError();
      return err ? [{ file: p.name, error: err.message }] : [];
    });
    await registry.heartbeat({ intervalMs, publishErrors }).catch((err: unknown) => log.error({ err }, 'sweeper heartbeat not recorded'));
  };
  const sweeper = createSweeper({ registry, publish, intervalMs, logger, metrics, afterTick, retention: () => registry.applyRetention() });
  return { publish, sweeper };
}

/**
 * The HTTP app with the options every shape shares. Imported on first use: a cluster's primary serves no
 * HTTP, and loading Fastify, its validators and the routes cost it ~25 MiB of resident memory.
 */
async function buildHttpApp(config: Config, store: NodeStore, registry: Registry, logger: Logger, metrics: Metrics, metricsText: () => Promise<string>, clock: Clock): Promise<FastifyInstance> {
  const { buildApp } = await import('./http/app.js');
  const options: AppOptions = {
    registry, logger, metrics, metricsText, clock,
    logRequests: config.logRequests,
    sdPorts: config.prometheusSdPorts,
    bodyLimit: config.maxBodyBytes,
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    authenticate: config.tokens ? createAuthenticator(config.tokens, store) : undefined,
  };
  return buildApp(options);
}

async function listen(app: FastifyInstance, config: Config): Promise<void> {
  await app.listen({ host: config.bindHost, port: config.bindPort });
}

/** Everything in one process. */
export async function startSingle(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const { store, metrics, registry, publish, sweeper } = openSweepingSide(config, logger, clock);
  let app: FastifyInstance | undefined;
  try {
    await sweeper.start();
    app = await buildHttpApp(config, store, registry, logger, metrics, () => metrics.registry.metrics(), clock);
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
      await publish();
      await store.close();
    },
  };
}

/** The HTTP side of a cluster: serves requests, tells the primary when published files may change. */
export async function startWorker(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const metrics = createMetrics();
  const channel = openWorkerChannel(metrics);
  const health = makeHealth(logger, clock, metrics, (state) => channel.storageHealth(state));
  const store = openStore(config, health);
  const writesFailing = () => {
    const own = health.writesFailing();
    return own ? [own, ...channel.othersFailing()] : channel.othersFailing();
  };
  const registry = makeRegistry(config, store, logger, clock, metrics, () => channel.nodesChanged(), writesFailing);
  // /metrics: ask the primary, which merges its own metrics with every worker's (ours included).
  const app = await buildHttpApp(config, store, registry, logger, metrics, () => channel.metricsText(), clock);
  try {
    await listen(app, config);
  } catch (err) {
    await app.close();
    await store.close();
    throw err;
  }
  channel.listening();
  return {
    async close() {
      await app.close();
      await store.close();
    },
  };
}

/**
 * The primary of a cluster: migrates the database, sweeps and publishes once, forks the workers and
 * resolves when all of them listen (rejects if one fails to start). Owns the sweeper and published files.
 */
export async function startPrimary(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const log = logger.child({ module: 'primary' });
  // Opening the store applies the migrations, before any worker opens the file.
  // The channel needs the sweeping side's metrics; the sweeping side may report storage state before
  // the channel exists (during the first sweep): it is relayed from then on.
  const relay: { channel?: PrimaryChannel } = {};
  const { store, metrics, publish, sweeper, health } = openSweepingSide(config, logger, clock, (state) => relay.channel?.ownStorageHealth(state));
  await sweeper.start();

  const liveWorkers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead() && w.isConnected());

  const channel = createPrimaryChannel({ metrics, liveWorkers, onNodesChanged: () => void publish() });
  relay.channel = channel;
  channel.ownStorageHealth(health.writesFailing());
  let shuttingDown = false;
  let started = false;

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (msg: WorkerMessage) => channel.handle(worker, msg));
    worker.on('exit', (code, signal) => {
      channel.forget(worker);
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
              channel.shutdown(w);
            }),
        ),
      );
      await sweeper.stop();
      await publish();
      await store.close();
    },
  };
}
