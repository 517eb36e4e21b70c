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
import { createSessions } from './sessions.js';
import type { AppOptions } from './http/app.js';
import { createPrimaryChannel, openWorkerChannel, type PrimaryChannel, type WorkerMessage } from './cluster/channel.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createRegistry, type Registry } from './registry.js';
import { openSqliteStore } from './storage/sqlite/index.js';
import { createStorageHealth, type StorageHealth, type WritesFailing } from './storage/health.js';
import type { NodeStore } from './storage/store.js';
import { createFilePublisher, type FilePublisher } from './publish/published-file.js';
import { createPublisher, type Publisher } from './publish/publisher.js';
import { createSweeper } from './sweep/scheduler.js';
import { defaultInstance, pgLeadership, soleLeadership, type ClusterInfo, type Leadership } from './cluster/leadership.js';
import { createPeriodicTask, type PeriodicTask } from './periodic.js';
import type pg from 'pg';

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

/** A store with, for PostgreSQL, its pool (leadership and the cluster view query it). */
type OpenedStore = NodeStore & { readonly pool?: pg.Pool };

/**
 * The store of DATABASE_URL (PostgreSQL) or of DB_PATH (SQLite); `fence` makes a leader's writes check its
 * lease. With SQLite the sweeping process runs the WAL checkpoint thread (`checkpoints: 'thread'`), and
 * the workers leave checkpoints to it (`'elsewhere'`).
 */
async function openStore(
  config: Config, health: StorageHealth, logger: Logger,
  options: { fence?: () => { instance: string; epoch: number } | null; checkpoints: 'thread' | 'elsewhere' },
): Promise<OpenedStore> {
  const { fence } = options;
  if (config.databaseUrl) {
    const { openPgStore } = await import('./storage/postgres/index.js');
    const log = logger.child({ module: 'postgres' });
    return openPgStore({ url: config.databaseUrl, health, fence, onIdleError: (err) => log.warn({ code: (err as { code?: string }).code, error: err.message }, 'an idle database connection failed') });
  }
  const log = logger.child({ module: 'sqlite' });
  return openSqliteStore({
    path: config.dbPath, synchronous: config.sqliteSynchronous, health, walCheckpoints: options.checkpoints,
    onCheckpointProblem: (msg, detail) => log.warn(detail, msg),
  });
}

/** This master's name: MASTER_INSTANCE, or host:pid of the process that started the master. */
const instanceOf = (config: Config) => config.instance ?? defaultInstance();

/** The cluster view of a process that does not lead (workers): the database's, or the sole master's. */
function clusterView(config: Config, store: OpenedStore, startedMs: number): () => Promise<ClusterInfo> {
  const instance = instanceOf(config);
  const view = store.pool ? pgLeadership(store.pool, { instance, leaseMs: config.leaderLeaseSeconds * 1000 }) : soleLeadership(instance, startedMs);
  return () => view.info();
}

/** This process's storage failure tracker, counting into `metrics`. */
function makeHealth(logger: Logger, clock: Clock, metrics: Metrics, onChange?: (state: WritesFailing | null) => void, afterSuccess?: () => void): StorageHealth {
  return createStorageHealth({ logger, clock, count: (code) => metrics.storageErrors.inc({ code }), onChange, afterSuccess });
}

function makeRegistry(
  config: Config, store: NodeStore, logger: Logger, clock: Clock, metrics: Metrics,
  writesFailing: () => WritesFailing[], servedSince?: () => Promise<number | null>,
): Registry {
  const b = config.offlineBrake;
  return createRegistry({
    store, clock, thresholds: thresholdsOf(config), idPrefix: config.nodeIdPrefix, logger, metrics, writesFailing, servedSince,
    gcAfterMs: config.nodeGcSeconds * 1000,
    flap: { transitions: config.flapTransitions, windowMs: config.flapWindowSeconds * 1000 },
    eventRetention: { maxAgeMs: config.eventsRetentionDays * 86_400_000, maxPerNode: config.eventsMaxPerNode },
    offlineBrake: b ? { ratio: b.ratio, minNodes: b.minNodes, maxHoldMs: b.maxHoldSeconds * 1000 } : null,
  });
}

/**
 * The sweeping process (the single process, or the primary): its store, metrics (with node counts),
 * registry, published files, sweeper and leadership. With PostgreSQL only the leader among the masters
 * sweeps and publishes, and this store's writes check the lease's epoch; the lease is renewed every third
 * of its length. A change that may alter the files triggers `publish` (the leader's only).
 */
async function openSweepingSide(
  config: Config, logger: Logger, clock: Clock,
  storage: { onChange?: (state: WritesFailing | null) => void; afterSuccess?: () => void } = {},
) {
  const log = logger.child({ module: 'leadership' });
  const holder: { leadership?: Leadership } = {};
  const metrics = createMetrics({
    nodeCounts: () => store.statistics(),
    flappingCount: async () => (await store.statisticsOf({ statuses: [], labels: [], q: null, flapping: true })).reduce((n, c) => n + c.count, 0),
    isLeader: () => holder.leadership?.isLeader() ?? false,
  });
  const health = makeHealth(logger, clock, metrics, storage.onChange, storage.afterSuccess);
  const store = await openStore(config, health, logger, { fence: () => holder.leadership?.fence() ?? null, checkpoints: 'thread' });
  const instance = instanceOf(config);
  const leaseMs = config.leaderLeaseSeconds * 1000;
  const tickMs = Math.max(100, leaseMs / 3);
  const leadership = store.pool
    ? pgLeadership(store.pool, {
        instance, leaseMs,
        contactBreakMs: Math.max(2 * tickMs, Math.min(leaseMs, config.offlineThresholdSeconds * 1000)),
        onChange: (leader, epoch) => {
          if (leader) log.warn({ instance, epoch }, 'this master is now the leader: it sweeps and publishes');
          else log.warn({ instance }, 'this master is no longer the leader');
        },
        onLeaderSeen: (leader) => {
          if (leader === null) log.warn({ instance }, 'no master holds the leader lease');
          else if (leader.instance !== instance) log.info({ instance, leader: leader.instance, epoch: leader.epoch }, 'the leader is another master');
        },
        onMasterContact: (m, state) => {
          if (state === 'lost') log.warn({ master: m.instance, host: m.host, lastSeen: m.last_seen, secondsSinceContact: m.seconds_since_contact }, 'a master is out of contact with the database');
          else log.info({ master: m.instance, host: m.host }, 'a master is in contact again');
        },
      })
    : soleLeadership(instance, clock.now());
  holder.leadership = leadership;
  const own = () => health.writesFailing();
  // Several masters: the grace runs from when agents last had a master without a break (any master's).
  const servedSince = store.pool
    ? async () => {
        const ms = await leadership.servedForMs();
        return ms === null ? null : clock.now() - ms;
      }
    : undefined;
  const registry = makeRegistry(config, store, logger, clock, metrics, () => (own() ? [own()!] : []), servedSince);
  const { publisher, sweeper } = makePublishing(config, store, registry, logger, clock, metrics, () => leadership.isLeader());
  // The lease: taken (or found taken) before the first sweep, then renewed every third of its length.
  // A failing renewal is logged once per outage (and once when it works again), not every tick.
  let failedTicks = 0;
  const lease: PeriodicTask = createPeriodicTask(async () => {
    try {
      await leadership.tick();
      if (failedTicks > 0) log.info({ failedTicks }, 'the leader lease is read and renewed again');
      failedTicks = 0;
    } catch (err) {
      if (failedTicks++ === 0) log.warn({ code: (err as { code?: string }).code, error: (err as Error).message }, 'leader lease not renewed (database unreachable?)');
    }
  }, tickMs);
  const startedMs = clock.now();
  return { store, metrics, registry, publisher, sweeper, health, leadership, lease, cluster: () => leadership.info(), startedMs };
}

/** Stops leading cleanly (another master takes over at once) and closes the sweeping side's store. */
async function closeSweepingSide(side: { lease: PeriodicTask; leadership: Leadership; store: NodeStore; publisher: Publisher }) {
  await side.publisher.stop();
  await side.lease.stop();
  await side.leadership.release().catch(() => undefined);
  await side.store.close();
}

/** The published files (nodes.json, file_sd) of this master, each counted in the metrics. */
function publishedFiles(config: Config, store: NodeStore, registry: Registry, logger: Logger, clock: Clock, metrics: Metrics): FilePublisher[] {
  const onResult = (file: string) => (result: string) => {
    metrics.fileWrites.inc({ file, result });
    if (result === 'written') metrics.lastFileWrite.setToCurrentTime({ file });
  };
  const common = { logger, clock, minIntervalMs: PUBLISH_MIN_INTERVAL_MS };
  const files: FilePublisher[] = [
    createFilePublisher({ ...common, name: 'nodes.json', path: config.nodesJsonPath, read: () => store.nodesFileDocument(), render: (d) => d.parts, count: (d) => d.nodes, onResult: onResult('nodes_json') }),
  ];
  if (config.prometheusFileSdPath) {
    const ports = config.prometheusSdPorts;
    files.push(createFilePublisher({
      ...common, name: 'file_sd', path: config.prometheusFileSdPath, onResult: onResult('file_sd'),
      read: () => registry.fileSdDocument(ports), render: (d) => [...d.parts, NEWLINE], count: (d) => d.groups,
    }));
  }
  return files;
}

/** The publisher (the leader's published files, following the publish version) and the sweeper. */
function makePublishing(config: Config, store: NodeStore, registry: Registry, logger: Logger, clock: Clock, metrics: Metrics, leading: () => boolean) {
  const publisher = createPublisher({ store, files: publishedFiles(config, store, registry, logger, clock, metrics), leading, clock, logger });
  const intervalMs = config.schedulerIntervalSeconds * 1000;
  const log = logger.child({ module: 'sweeper' });
  const afterTick = async () => {
    await registry.heartbeat({ intervalMs, publishErrors: publisher.errors() }).catch((err: unknown) => log.error({ err }, 'sweeper heartbeat not recorded'));
  };
  const sweeper = createSweeper({ registry, publish: () => publisher.publish(), intervalMs, logger, metrics, afterTick, retention: () => registry.applyRetention(), leading });
  return { publisher, sweeper };
}

/**
 * The HTTP app with the options every shape shares. Imported on first use: a cluster's primary serves no
 * HTTP, and loading Fastify, its validators and the routes cost it ~25 MiB of resident memory.
 */
async function buildHttpApp(config: Config, store: NodeStore, registry: Registry, logger: Logger, metrics: Metrics, metricsText: () => Promise<string>, clock: Clock, cluster: () => Promise<ClusterInfo>): Promise<FastifyInstance> {
  const { buildApp } = await import('./http/app.js');
  const options: AppOptions = {
    registry, logger, metrics, metricsText, clock, cluster,
    logRequests: config.logRequests,
    slowRequestMs: config.slowRequestSeconds * 1000,
    sdPorts: config.prometheusSdPorts,
    bodyLimit: config.maxBodyBytes,
    allowedHosts: config.allowedHosts,
    // Each worker takes its share (the kernel spreads connections evenly among them).
    maxStreams: Math.max(1, Math.ceil(config.maxStreams / config.workers)),
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    authenticate: config.tokens ? createAuthenticator(config.tokens, store) : undefined,
    sessions: config.tokens ? createSessions(store, config.tokens, clock) : undefined,
    clusterInProbes: config.databaseUrl ? { leaseSeconds: config.leaderLeaseSeconds } : undefined,
  };
  return buildApp(options);
}

async function listen(app: FastifyInstance, config: Config): Promise<void> {
  await app.listen({ host: config.bindHost, port: config.bindPort });
}

/** Everything in one process. */
export async function startSingle(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const side = await openSweepingSide(config, logger, clock);
  const { metrics, publisher, sweeper } = side;
  // PostgreSQL: the sweeping side's writes are fenced by the lease; HTTP's (any master's) are not.
  let http: { store: NodeStore; registry: Registry; own: boolean } = { store: side.store, registry: side.registry, own: false };
  let app: FastifyInstance | undefined;
  let firstTick: Promise<void> | undefined;
  try {
    if (side.store.pool) {
      const health = makeHealth(logger, clock, metrics);
      const store = await openStore(config, health, logger, { checkpoints: 'elsewhere' });
      const failing = () => [health.writesFailing(), side.health.writesFailing()].filter((f): f is WritesFailing => f !== null);
      http = { store, registry: makeRegistry(config, store, logger, clock, metrics, failing), own: true };
    }
    await side.lease.start();
    // The first sweep and publish run while the HTTP side starts (as in startPrimary).
    firstTick = sweeper.start();
    app = await buildHttpApp(config, http.store, http.registry, logger, metrics, () => metrics.registry.metrics(), clock, side.cluster);
    await listen(app, config);
    side.registry.serving();
    side.leadership.serving();
    await firstTick;
    publisher.start();
  } catch (err) {
    await firstTick;
    await sweeper.stop();
    await app?.close();
    if (http.own) await http.store.close();
    await closeSweepingSide(side);
    throw err;
  }
  logger.info({ bind: `${config.bindHost}:${config.bindPort}`, workers: 1, instance: side.leadership.instance, leader: side.leadership.isLeader() }, 'master ready');
  return {
    async close() {
      await app.close();
      await sweeper.stop();
      await publisher.stop();
      await publisher.publish(); // the last word: what the fleet looks like as this master stops
      if (http.own) await http.store.close();
      await closeSweepingSide(side);
    },
  };
}

/** The HTTP side of a cluster: serves requests, tells the primary when published files may change. */
export async function startWorker(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const metrics = createMetrics();
  const channel = openWorkerChannel(metrics, () => health.recoveredElsewhere());
  const health = makeHealth(logger, clock, metrics, (state) => channel.storageHealth(state), () => channel.writeSucceeded());
  const store = await openStore(config, health, logger, { checkpoints: 'elsewhere' });
  const writesFailing = () => {
    const own = health.writesFailing();
    return own ? [own, ...channel.othersFailing()] : channel.othersFailing();
  };
  const registry = makeRegistry(config, store, logger, clock, metrics, writesFailing);
  // /metrics: ask the primary, which merges its own metrics with every worker's (ours included).
  const app = await buildHttpApp(config, store, registry, logger, metrics, () => channel.metricsText(), clock, clusterView(config, store, clock.now()));
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
 * The primary of a cluster: migrates the database, forks the workers while it sweeps and publishes once,
 * and resolves when all of them listen and that first run is done (rejects if a worker fails to start).
 * Owns the sweeper and published files.
 */
export async function startPrimary(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const log = logger.child({ module: 'primary' });
  // Opening the store applies the migrations, before any worker opens the file.
  // The channel needs the sweeping side's metrics; the sweeping side may report storage state before
  // the channel exists (during the first sweep): it is relayed from then on.
  const relay: { channel?: PrimaryChannel } = {};
  const side = await openSweepingSide(config, logger, clock, {
    onChange: (state) => relay.channel?.ownStorageHealth(state),
    afterSuccess: () => relay.channel?.writeSucceeded(),
  });
  const { metrics, publisher, sweeper, health } = side;
  await side.lease.start();
  // The first sweep and publish run while the workers start: at a million nodes nodes.json takes ~3 s to
  // build, which agents need not wait for (the file on disk is the last run's, complete; a fresh master's
  // `[]` is written in milliseconds). "master ready" is logged once both are done.
  const firstTick = sweeper.start();
  const instance = side.leadership.instance;

  const liveWorkers = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead() && w.isConnected());

  const channel = createPrimaryChannel({ metrics, liveWorkers, onRecovered: () => health.recoveredElsewhere() });
  relay.channel = channel;
  channel.ownStorageHealth(health.writesFailing());
  let shuttingDown = false;
  let started = false;

  const fork = (): Worker => {
    // Workers answer GET /cluster under the master's name (the primary's).
    const worker = cluster.fork({ MASTER_INSTANCE: instance });
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
    await firstTick;
    await sweeper.stop();
    await closeSweepingSide(side);
    throw err;
  }
  // Agents can report from now: the restart grace counts from here, not from the sweeping side's start.
  side.registry.serving();
  side.leadership.serving();
  await firstTick;
  publisher.start();
  started = true;
  log.info({ bind: `${config.bindHost}:${config.bindPort}`, workers: config.workers, instance, leader: side.leadership.isLeader() }, 'master ready');

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
      await publisher.stop();
      await publisher.publish(); // the last word: what the fleet looks like as this master stops
      await closeSweepingSide(side);
    },
  };
}
