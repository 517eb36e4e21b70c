// The composition root: config → store → node use cases, sweeping side → HTTP app, in one of three
// shapes of the same master (the parts are sides.ts's):
// - single process (MASTER_WORKERS=1): HTTP, sweeper and published files in one process;
// - primary (MASTER_WORKERS>1): the sweeping side, the only writer of the published files; forks the
//   workers (cluster/supervisor.ts), merges every process's metrics for /metrics and relays storage
//   health (cluster/channel.ts);
// - worker: serves HTTP on the shared port over its own connection to the shared database.
// Each returns `close()`, which finishes in-flight requests and closes the database cleanly.
import type { Worker } from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.js';
import { createPrimaryChannel, openWorkerChannel, type PrimaryChannel } from './cluster/channel.js';
import { superviseWorkers } from './cluster/supervisor.js';
import type { Config } from './config.js';
import { createMetrics } from './metrics.js';
import { buildHttpApp, clusterView, makeHealth, openStore, openSweepingSide, type OpenedStore } from './sides.js';
import type { WritesFailing } from './storage/health.js';

/** A running master (any shape). */
export interface Running {
  /** Graceful stop: in-flight requests finish, the database is closed. */
  close(): Promise<void>;
}

async function listen(app: FastifyInstance, config: Config): Promise<void> {
  await app.listen({ host: config.bindHost, port: config.bindPort });
}

const failures = (...states: Array<WritesFailing | null>) => states.filter((f): f is WritesFailing => f !== null);

/** Everything in one process. */
export async function startSingle(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const side = await openSweepingSide(config, logger, clock);
  const { metrics, publisher, sweeper } = side;
  // PostgreSQL: the sweeping side's writes are fenced by the lease; HTTP's (any master's) are not.
  let http: { store: OpenedStore; own: boolean; failing: () => WritesFailing[] } = { store: side.store, own: false, failing: () => failures(side.health.writesFailing()) };
  let app: FastifyInstance | undefined;
  let firstTick: Promise<void> | undefined;
  try {
    if (side.store.pool) {
      const health = makeHealth(logger, clock, metrics);
      http = { store: await openStore(config, health, logger, { checkpoints: 'elsewhere' }), own: true, failing: () => failures(health.writesFailing(), side.health.writesFailing()) };
    }
    await side.lease.start();
    // The first sweep and publish run while the HTTP side starts (as in startPrimary).
    firstTick = sweeper.start();
    app = await buildHttpApp(config, { store: http.store, logger, clock, metrics, writesFailing: http.failing, metricsText: () => metrics.registry.metrics(), cluster: () => side.leadership.info() });
    await listen(app, config);
    side.serving();
    await firstTick;
    publisher.start();
  } catch (err) {
    await firstTick;
    await sweeper.stop();
    await app?.close();
    if (http.own) await http.store.close();
    await side.close();
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
      await side.close();
    },
  };
}

/** The HTTP side of a cluster: serves requests over its own connection, relays storage health. */
export async function startWorker(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  const metrics = createMetrics();
  const channel = openWorkerChannel(metrics, () => health.recoveredElsewhere());
  const health = makeHealth(logger, clock, metrics, { onChange: (state) => channel.storageHealth(state), afterSuccess: () => channel.writeSucceeded() });
  const store = await openStore(config, health, logger, { checkpoints: 'elsewhere' });
  const writesFailing = () => [...failures(health.writesFailing()), ...channel.othersFailing()];
  // /metrics: ask the primary, which merges its own metrics with every worker's (ours included).
  const app = await buildHttpApp(config, { store, logger, clock, metrics, writesFailing, metricsText: () => channel.metricsText(), cluster: clusterView(config, store, clock.now()) });
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
 * The primary of a cluster: migrates the database (opening its store), forks the workers while it
 * sweeps and publishes once, and resolves when all of them listen and that first run is done (rejects
 * if a worker fails to start).
 */
export async function startPrimary(config: Config, logger: Logger, clock: Clock = systemClock): Promise<Running> {
  // The sweeping side may report storage state before the channel exists (during the first sweep): it is
  // relayed from then on.
  const relay: { channel?: PrimaryChannel } = {};
  const side = await openSweepingSide(config, logger, clock, {
    onChange: (state) => relay.channel?.ownStorageHealth(state),
    afterSuccess: () => relay.channel?.writeSucceeded(),
  });
  const { metrics, publisher, sweeper, health } = side;
  await side.lease.start();
  // The first sweep and publish run while the workers start: at a million nodes nodes.json takes ~3 s to
  // build, which agents need not wait for (the file on disk is the last run's, complete; a fresh
  // master's `[]` is written in milliseconds). "master ready" is logged once both are done.
  const firstTick = sweeper.start();
  const instance = side.leadership.instance;
  const holder: { liveWorkers?: () => Worker[] } = {};
  const channel = createPrimaryChannel({ metrics, liveWorkers: () => holder.liveWorkers?.() ?? [], onRecovered: () => health.recoveredElsewhere() });
  relay.channel = channel;
  channel.ownStorageHealth(health.writesFailing());
  // Workers answer GET /cluster under the master's name (the primary's).
  const workers = superviseWorkers({
    count: config.workers, env: { MASTER_INSTANCE: instance }, logger, clock,
    onMessage: (w, msg) => channel.handle(w, msg), onExit: (w) => channel.forget(w), shutdown: (w) => channel.shutdown(w),
  });
  holder.liveWorkers = () => workers.liveWorkers();
  try {
    await workers.started;
  } catch (err) {
    await firstTick;
    await sweeper.stop();
    await side.close();
    throw err;
  }
  // Agents can report from now: the restart grace counts from here, not from the sweeping side's start.
  side.serving();
  await firstTick;
  publisher.start();
  logger.child({ module: 'primary' }).info({ bind: `${config.bindHost}:${config.bindPort}`, workers: config.workers, instance, leader: side.leadership.isLeader() }, 'master ready');
  return {
    async close() {
      await workers.close();
      await sweeper.stop();
      await publisher.stop();
      await publisher.publish(); // the last word: what the fleet looks like as this master stops
      await side.close();
    },
  };
}
