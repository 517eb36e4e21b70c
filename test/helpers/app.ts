// An in-process master for HTTP tests: SQLite in a temp dir, a manual clock, the node use cases and the
// sweeping side over one store (as a single-process master has them). Nothing listens; tests use
// app.inject (or listen themselves).
import { createDelivery, type DeliveryDeps } from '../../src/notifications/delivery.js';
import { createEndpoints } from '../../src/notifications/endpoints.js';
import { createAvailability } from '../../src/availability/reports.js';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createManualClock } from '../../src/clock.js';
import { createAuthenticator, type AuthTokens } from '../../src/auth.js';
import { createSessions } from '../../src/sessions.js';
import { buildApp } from '../../src/app.js';
import type { ClusterInfo } from '../../src/cluster/leadership.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { createNodes, type Nodes } from '../../src/nodes/index.js';
import { createMaintenance } from '../../src/maintenance/windows.js';
import { createMaintenancePass } from '../../src/sweeping/maintenance.js';
import { createReadiness } from '../../src/sweeping/readiness.js';
import { createSweeping, type Sweeping } from '../../src/sweeping/sweeping.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import type { NodeStore } from '../../src/storage/store.js';
import { silentLogger, tempDir } from './fixtures.js';

/** A test master and its handles. */
export interface TestMaster {
  app: FastifyInstance;
  nodes: Nodes;
  sweeping: Sweeping;
  store: NodeStore;
  clock: ReturnType<typeof createManualClock>;
  metrics: Metrics;
  /** The sweeping side's maintenance pass (as the sweeping process runs it every half second). */
  maintenancePass: { runOnce(): Promise<void> };
  /** The leader's notification pass (as the sweeping process runs it every quarter second); attempts as `opts.attempt` says. */
  delivery: ReturnType<typeof createDelivery>;
  close(): Promise<void>;
}

/** Builds a test master with the given thresholds (seconds). */
export async function makeTestMaster(
  opts: {
    onlineSeconds?: number; offlineSeconds?: number; idPrefix?: string; sdPorts?: number[]; tokens?: AuthTokens;
    /** The cluster view of /cluster and, with `leaseSeconds`, of /readyz (as with PostgreSQL). */
    cluster?: { info: () => Promise<ClusterInfo>; leaseSeconds?: number };
    /** The app's logger and request-log settings (default: silent, no line per request). */
    logger?: Logger; logRequests?: boolean; slowRequestMs?: number; maxStreams?: number; allowedHosts?: string[];
    /** Several masters: since when agents have had a master to report to (the restart grace, SPEC §11). */
    servedSince?: () => Promise<number | null>;
    /** Notifications: how one attempt goes (default: HTTP), the rate a minute, the maximum age (hours). */
    attempt?: DeliveryDeps['attempt']; perMinute?: number; maxAgeHours?: number;
    /** Flapping (SPEC §9.3): off unless given. */
    flap?: { transitions: number; windowMs: number };
  } = {},
): Promise<TestMaster> {
  const t = tempDir();
  const store = openSqliteStore({ path: join(t.dir, 'db.sqlite3') });
  const clock = createManualClock();
  const metrics = createMetrics({ nodeCounts: () => store.statistics(), defaultMetrics: false });
  const thresholds = { onlineWithinMs: (opts.onlineSeconds ?? 120) * 1000, offlineAfterMs: (opts.offlineSeconds ?? 180) * 1000 };
  const nodes = createNodes({ metrics, store, clock, thresholds, idPrefix: opts.idPrefix ?? 'A', logger: silentLogger, flap: opts.flap });
  const sweeping = createSweeping({ metrics, store, clock, thresholds, logger: silentLogger, servedSince: opts.servedSince, flap: opts.flap });
  const app = await buildApp({
    nodes, maintenance: createMaintenance({ store, clock }), endpoints: createEndpoints({ store, clock }), availability: createAvailability({ store, clock }), readiness: createReadiness({ store, clock }), logger: opts.logger ?? silentLogger, logRequests: opts.logRequests ?? false, slowRequestMs: opts.slowRequestMs, maxStreams: opts.maxStreams, allowedHosts: opts.allowedHosts, sdPorts: opts.sdPorts ?? [9100], metrics, clock,
    metricsText: () => metrics.registry.metrics(),
    authenticate: opts.tokens ? createAuthenticator(opts.tokens, store) : undefined,
    sessions: opts.tokens ? createSessions(store, opts.tokens, clock) : undefined,
    cluster: opts.cluster?.info,
    clusterInProbes: opts.cluster?.leaseSeconds ? { leaseSeconds: opts.cluster.leaseSeconds } : undefined,
  });
  await sweeping.heartbeat({ intervalMs: 30_000, publishErrors: [] }); // as the sweeper would
  return {
    app, nodes, sweeping, store, clock, metrics,
    maintenancePass: createMaintenancePass({ store, clock, logger: silentLogger, leading: () => true }),
    delivery: createDelivery({
      store, clock, logger: silentLogger, metrics, leading: () => true, maxAgeMs: (opts.maxAgeHours ?? 24) * 3_600_000, perMinute: opts.perMinute ?? 30,
      keepMs: 30 * 86_400_000, publicUrl: 'http://argus.test', attempt: opts.attempt,
    }),    async close() {
      await app.close();
      await store.close();
      t.cleanup();
    },
  };
}
