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
import { createMetrics, mergeMetrics, type Metrics, type MetricsJson } from './metrics.js';
import { createRegistry, type Registry } from './registry.js';
import { openSqliteStore } from './storage/sqlite.js';
import type { NodeStore } from './storage/store.js';
import { createFilePublisher, type FilePublisher } from './sweep/published-file.js';
import { createSweeper } from './sweep/scheduler.js';

/** A running master (any shape). */
export interface Running {
  /** Graceful stop: in-flight requests finish, the database is closed. */
  close(): Promise<void>;
}

/** Messages between the primary and its workers (cluster IPC). */
type WorkerMessage =
  | { type: 'argus:nodes-changed' }
  | { type: 'argus:listening' }
  | { type: 'argus:metrics-request'; id: number }
  | { type: 'argus:metrics-part'; id: number; part: MetricsJson };
type PrimaryMessage =
  | { type: 'argus:shutdown' }
  | { type: 'argus:metrics-collect'; id: number }
  | { type: 'argus:metrics-response'; id: number; text?: string; error?: string };

const SHUTDOWN_TIMEOUT_MS = 15_000;
const RESPAWN_DELAY_MS = 1_000;
const METRICS_TIMEOUT_MS = 5_000;
/** Published files are rebuilt at most every 100 ms: prompt, yet a burst of changes costs few rebuilds. */
const PUBLISH_MIN_INTERVAL_MS = 100;
const NEWLINE = Buffer.from('\n');

function thresholdsOf(config: Config) {
  return { onlineWithinMs: config.onlineThresholdSeconds * 1000, offlineAfterMs: config.offlineThresholdSeconds * 1000 };
}

function openStore(config: Config): NodeStore {
  return openSqliteStore({ path: config.dbPath, synchronous: config.sqliteSynchronous });
}

function makeRegistry(config: Config, store: NodeStore, logger: Logger, clock: Clock, metrics: Metrics, onPublishedChange: () => void): Registry {
  const b = config.offlineBrake;
  return createRegistry({
    store, clock, thresholds: thresholdsOf(config), idPrefix: config.nodeIdPrefix, logger, metrics, onPublishedChange,
    offlineBrake: b ? { ratio: b.ratio, minNodes: b.minNodes, maxHoldMs: b.maxHoldSeconds * 1000 } : null,
  });
}

/**
 * The sweeping process (the single process, or the primary): its store, metrics (with node counts),
 * registry, published files and sweeper. A change that may alter the files triggers `publish`.
 */
function openSweepingSide(config: Config, logger: Logger, clock: Clock) {
  const store = openStore(config);
  const metrics = createMetrics({ nodeCounts: () => store.statistics() });
  let publishNow: () => Promise<unknown> = async () => undefined;
  const registry = makeRegistry(config, store, logger, clock, metrics, () => void publishNow());
  const { publish, sweeper } = makePublishing(config, store, registry, logger, metrics);
  publishNow = publish;
  return { store, metrics, registry, publish, sweeper };
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
        read: () => store.targetGroupsDocument({ statuses: ['online'], labels: [], ports }),
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
  const sweeper = createSweeper({ registry, publish, intervalMs, logger, metrics, afterTick });
  return { publish, sweeper };
}

/**
 * The HTTP app with the options every shape shares. Imported on first use: a cluster's primary serves no
 * HTTP, and loading Fastify, its validators and the routes cost it ~25 MiB of resident memory.
 */
async function buildHttpApp(config: Config, store: NodeStore, registry: Registry, logger: Logger, metrics: Metrics, metricsText: () => Promise<string>): Promise<FastifyInstance> {
  const { buildApp } = await import('./http/app.js');
  const options: AppOptions = {
    registry, logger, metrics, metricsText,
    logRequests: config.logRequests,
    sdPorts: config.prometheusSdPorts,
    bodyLimit: config.maxBodyBytes,
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
    app = await buildHttpApp(config, store, registry, logger, metrics, () => metrics.registry.metrics());
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
  const store = openStore(config);
  const metrics = createMetrics();
  // The channel is closed once the primary is gone (this worker is then stopping): send nothing then.
  const send = (m: WorkerMessage) => {
    if (process.connected) process.send?.(m);
  };
  const registry = makeRegistry(config, store, logger, clock, metrics, () => send({ type: 'argus:nodes-changed' }));

  // /metrics: ask the primary, which merges its own metrics with every worker's (ours included).
  let nextId = 0;
  const waiting = new Map<number, (m: Extract<PrimaryMessage, { type: 'argus:metrics-response' }>) => void>();
  process.on('message', (m: PrimaryMessage) => {
    if (m?.type === 'argus:metrics-collect') {
      void metrics.registry.getMetricsAsJSON().then((part) => send({ type: 'argus:metrics-part', id: m.id, part }));
    } else if (m?.type === 'argus:metrics-response') {
      waiting.get(m.id)?.(m);
    }
  });
  const metricsText = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('metrics from the primary timed out'));
      }, METRICS_TIMEOUT_MS);
      waiting.set(id, (m) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (m.text !== undefined) resolve(m.text);
        else reject(new Error(m.error ?? 'metrics unavailable'));
      });
      send({ type: 'argus:metrics-request', id });
    });

  const app = await buildHttpApp(config, store, registry, logger, metrics, metricsText);
  try {
    await listen(app, config);
  } catch (err) {
    await app.close();
    await store.close();
    throw err;
  }
  send({ type: 'argus:listening' });
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
  const { store, metrics, publish, sweeper } = openSweepingSide(config, logger, clock);
  await sweeper.start();

  const liveWorkers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead() && w.isConnected());

  // Metrics merge: collect a part from every live worker, add ours, answer the asking worker.
  let nextCollect = 0;
  const collecting = new Map<number, { parts: MetricsJson[]; pending: number; done: () => void }>();
  const answerMetrics = async (asker: Worker, id: number) => {
    const workers = liveWorkers();
    const collectId = nextCollect++;
    const parts: MetricsJson[] = [await metrics.registry.getMetricsAsJSON()];
    let reply: Extract<PrimaryMessage, { type: 'argus:metrics-response' }>;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          collecting.delete(collectId);
          reject(new Error('a worker did not send its metrics in time'));
        }, METRICS_TIMEOUT_MS - 500);
        collecting.set(collectId, { parts, pending: workers.length, done: () => { clearTimeout(timer); resolve(); } });
        for (const w of workers) w.send({ type: 'argus:metrics-collect', id: collectId } satisfies PrimaryMessage);
        if (workers.length === 0) resolve();
      });
      reply = { type: 'argus:metrics-response', id, text: await mergeMetrics(parts) };
    } catch (err) {
      reply = { type: 'argus:metrics-response', id, error: (err as Error).message };
    }
    if (asker.isConnected()) asker.send(reply satisfies PrimaryMessage);
  };

  let shuttingDown = false;
  let started = false;
  const onMessage = (worker: Worker) => (msg: WorkerMessage) => {
    switch (msg?.type) {
      case 'argus:nodes-changed':
        void publish();
        break;
      case 'argus:metrics-request':
        void answerMetrics(worker, msg.id);
        break;
      case 'argus:metrics-part': {
        const c = collecting.get(msg.id);
        if (!c) break;
        c.parts.push(msg.part);
        if (--c.pending === 0) {
          collecting.delete(msg.id);
          c.done();
        }
        break;
      }
    }
  };

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', onMessage(worker));
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
      await publish();
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
