// The parts a master process is made of, for main.ts to compose: the store of the configuration, the
// sweeping side (the sweeping process only: leadership, sweeps, published files, heartbeat) and the
// serving side (every process that answers requests: node use cases, readiness, the HTTP app).
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Logger } from 'pino';
import { createAuthenticator } from './auth.js';
import type { Clock } from './clock.js';
import { openLeadership, defaultInstance, pgLeadershipView, soleLeadership, type ClusterInfo, type Leadership } from './cluster/leadership.js';
import type { Config } from './config.js';
import type { AppOptions } from './app.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createDiscovery } from './nodes/discovery.js';
import { createNodes, type Nodes } from './nodes/index.js';
import type { PeriodicTask } from './periodic.js';
import { createFilePublisher, type FilePublisher } from './publish/published-file.js';
import { createPublisher, type Publisher } from './publish/publisher.js';
import { createSessions } from './sessions.js';
import { createStorageHealth, type StorageHealth, type WritesFailing } from './storage/health.js';
import { openSqliteStore } from './storage/sqlite/index.js';
import type { NodeStore } from './storage/store.js';
import { createMaintenance } from './maintenance/windows.js';
import { createMaintenancePass } from './sweeping/maintenance.js';
import { createDelivery } from './notifications/delivery.js';
import { createEndpoints } from './notifications/endpoints.js';
import { createAvailability } from './availability/reports.js';
import { hostname } from 'node:os';
import { windowState, type WindowState } from './domain/maintenance.js';
import { createReadiness } from './sweeping/readiness.js';
import { createSweeper } from './sweeping/scheduler.js';
import { createSweeping, type Sweeping } from './sweeping/sweeping.js';

/** Published files are rebuilt at most every 100 ms: prompt, yet a burst of changes costs few rebuilds. */
const PUBLISH_MIN_INTERVAL_MS = 100;
const NEWLINE = Buffer.from('\n');

/** A store with, for PostgreSQL, its pool (leadership and the cluster view query it). */
export type OpenedStore = NodeStore & { readonly pool?: pg.Pool };

const thresholdsOf = (config: Config) => ({ onlineWithinMs: config.onlineThresholdSeconds * 1000, offlineAfterMs: config.offlineThresholdSeconds * 1000 });

/** How people reach this master (links in notifications): PUBLIC_URL, else http://<host name>:<port>. */
export const publicUrlOf = (config: Config) => config.publicUrl ?? `http://${hostname()}:${config.bindPort}`;

/** This master's name: MASTER_INSTANCE, or host:pid of the process that started the master. */
export const instanceOf = (config: Config) => config.instance ?? defaultInstance();

/**
 * The store of DATABASE_URL (PostgreSQL) or of DB_PATH (SQLite); `fence` makes a leader's writes check its
 * lease. With SQLite the sweeping process runs the WAL checkpoint thread (`checkpoints: 'thread'`), and
 * the workers leave checkpoints to it (`'elsewhere'`).
 */
export async function openStore(
  config: Config, health: StorageHealth, logger: Logger,
  options: { fence?: () => { instance: string; epoch: number } | null; checkpoints: 'thread' | 'elsewhere' },
): Promise<OpenedStore> {
  if (config.databaseUrl) {
    const { openPgStore } = await import('./storage/postgres/index.js');
    const log = logger.child({ module: 'postgres' });
    return openPgStore({ url: config.databaseUrl, health, fence: options.fence, onIdleError: (err) => log.warn({ code: (err as { code?: string }).code, error: err.message }, 'an idle database connection failed') });
  }
  const log = logger.child({ module: 'sqlite' });
  return openSqliteStore({
    path: config.dbPath, synchronous: config.sqliteSynchronous, health, walCheckpoints: options.checkpoints,
    onCheckpointProblem: (msg, detail) => log.warn(detail, msg),
  });
}

/** A process's storage failure tracker, counting into `metrics`. */
export function makeHealth(logger: Logger, clock: Clock, metrics: Metrics, hooks: { onChange?: (state: WritesFailing | null) => void; afterSuccess?: () => void } = {}): StorageHealth {
  return createStorageHealth({ logger, clock, count: (code) => metrics.storageErrors.inc({ code }), ...hooks });
}

/** The node use cases of a serving process over `store`. */
export function makeNodes(config: Config, store: NodeStore, logger: Logger, clock: Clock, metrics: Metrics): Nodes {
  return createNodes({
    store, clock, thresholds: thresholdsOf(config), idPrefix: config.nodeIdPrefix, logger, metrics,
    flap: { transitions: config.flapTransitions, windowMs: config.flapWindowSeconds * 1000 },
  });
}

/** The cluster view of a process that does not lead (workers): the database's, or the sole master's. */
export function clusterView(config: Config, store: OpenedStore, startedMs: number): () => Promise<ClusterInfo> {
  const view = store.pool ? pgLeadershipView(store.pool, instanceOf(config)) : soleLeadership(instanceOf(config), startedMs);
  return () => view.info();
}

/** The published files (nodes.json, file_sd) of this master, each counted in the metrics. */
function publishedFiles(config: Config, store: NodeStore, logger: Logger, clock: Clock, metrics: Metrics): FilePublisher[] {
  const onResult = (file: string) => (result: string) => {
    metrics.fileWrites.inc({ file, result });
    if (result === 'written') metrics.lastFileWrite.setToCurrentTime({ file });
  };
  const common = { logger, clock, minIntervalMs: PUBLISH_MIN_INTERVAL_MS };
  const files: FilePublisher[] = [
    createFilePublisher({ ...common, name: 'nodes.json', path: config.nodesJsonPath, read: () => store.nodesFileDocument(), render: (d) => d.parts, count: (d) => d.nodes, onResult: onResult('nodes_json') }),
  ];
  if (config.prometheusFileSdPath) {
    const discovery = createDiscovery(store, logger.child({ module: 'discovery' }), metrics);
    const ports = config.prometheusSdPorts;
    files.push(createFilePublisher({
      ...common, name: 'file_sd', path: config.prometheusFileSdPath, onResult: onResult('file_sd'),
      read: () => discovery.fileSdDocument(ports), render: (d) => [...d.parts, NEWLINE], count: (d) => d.groups,
    }));
  }
  return files;
}

/** The sweeping side of the sweeping process. */
export interface SweepingSide {
  store: OpenedStore;
  metrics: Metrics;
  health: StorageHealth;
  leadership: Leadership;
  lease: PeriodicTask;
  sweeping: Sweeping;
  publisher: Publisher;
  sweeper: PeriodicTask;
  /** This master answers agents from now: the restart grace and the masters' contact count from here. */
  serving(): void;
  /** Stops leading cleanly (another master takes over at once) and closes the store. */
  close(): Promise<void>;
}

/**
 * Opens the sweeping side: its store (with PostgreSQL, its writes fenced by the lease), metrics with the
 * fleet's counts, leadership, the sweep, the published files and the sweeper. Only the leader sweeps and
 * publishes; the lease is renewed every third of its length.
 */
export async function openSweepingSide(config: Config, logger: Logger, clock: Clock, storageHooks: Parameters<typeof makeHealth>[3] = {}): Promise<SweepingSide> {
  const holder: { leadership?: Leadership } = {};
  const metrics = createMetrics({
    nodeCounts: () => store.statistics(),
    flappingCount: async () => (await store.statisticsOf({ selector: [{ kind: 'flag', flag: 'flapping', value: true }], q: null })).reduce((n, c) => n + c.count, 0),
    isLeader: () => holder.leadership?.isLeader() ?? false,
    fleetHealth: () => store.fleetHealth(),
    pendingNotifications: () => store.pendingDeliveries(),
    windowStates: async () => {
      const now = clock.now();
      const counts: Record<WindowState, number> = { scheduled: 0, active: 0, ended: 0 };
      for (const w of await store.windows()) counts[windowState(w, now)]++;
      return counts;
    },
  });
  const health = makeHealth(logger, clock, metrics, storageHooks);
  const store = await openStore(config, health, logger, { fence: () => holder.leadership?.fence() ?? null, checkpoints: 'thread' });
  const { leadership, lease } = openLeadership(store.pool, { instance: instanceOf(config), leaseMs: config.leaderLeaseSeconds * 1000, offlineAfterMs: config.offlineThresholdSeconds * 1000, clock, logger });
  holder.leadership = leadership;
  const b = config.offlineBrake;
  const sweeping = createSweeping({
    store, clock, thresholds: thresholdsOf(config), logger, metrics,
    flap: { transitions: config.flapTransitions, windowMs: config.flapWindowSeconds * 1000 },
    gcAfterMs: config.nodeGcSeconds * 1000,
    eventRetention: { maxAgeMs: config.eventsRetentionDays * 86_400_000, maxPerNode: config.eventsMaxPerNode },
    offlineBrake: b ? { ratio: b.ratio, minNodes: b.minNodes, maxHoldMs: b.maxHoldSeconds * 1000 } : null,
    // Several masters: the grace runs from when agents last had a master without a break (any master's).
    servedSince: store.pool ? async () => {
      const ms = await leadership.servedForMs();
      return ms === null ? null : clock.now() - ms;
    } : undefined,
  });
  const leading = () => leadership.isLeader();
  const publisher = createPublisher({ store, files: publishedFiles(config, store, logger, clock, metrics), leading, clock, logger });
  const intervalMs = config.schedulerIntervalSeconds * 1000;
  const afterTick = () => sweeping.heartbeat({ intervalMs, publishErrors: publisher.errors() }).catch((err: unknown) => logger.error({ err, module: 'sweeper' }, 'sweeper heartbeat not recorded'));
  const sweep = createSweeper({ sweeping, publish: () => publisher.publish(), intervalMs, logger, metrics, afterTick, retention: () => sweeping.applyRetention(), leading, clock });
  // The maintenance windows' pass runs beside the sweep, every half second (sweeping/maintenance.ts).
  const maintenancePass = createMaintenancePass({ store, clock, logger, leading });
  // Notifications are delivered by the leader too (notifications/delivery.ts), every quarter second.
  const delivery = createDelivery({
    store, clock, logger, metrics, leading, maxAgeMs: config.notifyMaxAgeHours * 3_600_000, perMinute: config.notifyMaxPerMinute,
    keepMs: config.eventsRetentionDays * 86_400_000, publicUrl: publicUrlOf(config),
  });
  const sweeper: PeriodicTask = {
    start: async () => void (await Promise.all([sweep.start(), maintenancePass.start(), delivery.start()])),
    stop: async () => void (await Promise.all([sweep.stop(), maintenancePass.stop(), delivery.stop()])),
  };
  return {
    store, metrics, health, leadership, lease, sweeping, publisher, sweeper,
    serving() {
      sweeping.serving();
      leadership.serving();
    },
    async close() {
      await publisher.stop();
      await lease.stop();
      await leadership.release().catch(() => undefined);
      await store.close();
    },
  };
}

/**
 * The HTTP app of a serving process, over its store. Imported on first use: a cluster's primary serves
 * no HTTP, and loading Fastify, its validators and the routes costs tens of MiB of resident memory.
 */
export async function buildHttpApp(
  config: Config, parts: { store: NodeStore; logger: Logger; clock: Clock; metrics: Metrics; writesFailing: () => WritesFailing[]; metricsText: () => Promise<string>; cluster: () => Promise<ClusterInfo> },
): Promise<FastifyInstance> {
  const { buildApp } = await import('./app.js');
  const { store, logger, clock, metrics } = parts;
  const options: AppOptions = {
    nodes: makeNodes(config, store, logger, clock, metrics),
    maintenance: createMaintenance({ store, clock }),
    endpoints: createEndpoints({ store, clock }),
    availability: createAvailability({ store, clock }),
    readiness: createReadiness({ store, clock, writesFailing: parts.writesFailing }),
    logger, metrics, metricsText: parts.metricsText, clock, cluster: parts.cluster,
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
