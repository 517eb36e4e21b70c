// The master's own Prometheus metrics (prom-client). Every process has its own registry; with several
// workers the primary answers /metrics by merging its registry with every worker's (cluster IPC, see
// main.ts), so counters are summed across processes. Metrics about the whole fleet (nodes by status,
// sweeps, published files) are recorded only by the process that sweeps, so they are never double counted.
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StatusCount } from './domain/node.js';
import { ALL_STATUSES } from './domain/status.js';
import type { WindowState } from './domain/maintenance.js';
import type { FleetHealth } from './storage/store.js';

/** The metrics one process records. */
export interface Metrics {
  registry: Registry;
  statusTransitions: Counter<'from' | 'to' | 'cause'>;
  registrations: Counter<'result'>;
  statusReports: Counter;
  sweepDuration: Histogram;
  lastSweep: Gauge;
  fileWrites: Counter<'file' | 'result'>;
  lastFileWrite: Gauge<'file'>;
  httpRequests: Counter<'method' | 'route' | 'code'>;
  storageErrors: Counter<'code'>;
  eventsWritten: Counter<'type'>;
  eventsPruned: Counter;
  streamClients: Gauge;
  brakeHeld: Gauge;
  sdInvalidHosts: Gauge;
  httpDuration: Histogram<'method' | 'route'>;
  /** Notifications (SPEC §15), counted by the leader that delivers them. */
  notifyDelivered: Counter<'endpoint'>;
  notifyFailed: Counter<'endpoint'>;
  notifyDead: Counter<'endpoint'>;
}

/** Options: `nodeCounts` makes this process report `argus_master_nodes` (only the sweeping process). */
export interface MetricsOptions {
  nodeCounts?: () => Promise<StatusCount[]>;
  /** Makes this process report `argus_master_flapping_nodes` (only the sweeping process). */
  flappingCount?: () => Promise<number>;
  /** Makes this process report `argus_master_leader` (only the sweeping process). */
  isLeader?: () => boolean;
  /** Makes this process report degraded nodes, failing components and maintenance (only the sweeping process). */
  fleetHealth?: () => Promise<FleetHealth>;
  /** Makes this process report maintenance windows by state (only the sweeping process). */
  windowStates?: () => Promise<Record<WindowState, number>>;
  /** Makes this process report pending notifications by endpoint (only the sweeping process). */
  pendingNotifications?: () => Promise<Array<{ endpointId: string; count: number; oldestMs: number }>>;
  defaultMetrics?: boolean;
}

/** The fleet's gauges, reported by the sweeping process only (so that they are never counted twice). */
function fleetGauges(registers: Registry[], options: MetricsOptions): void {
  if (options.nodeCounts) {
    const nodeCounts = options.nodeCounts;
    new Gauge({
      name: 'argus_master_nodes', help: 'Registered nodes by status.', labelNames: ['status'], registers,
      async collect() {
        const counts = new Map((await nodeCounts()).map((c) => [c.status, c.count]));
        for (const status of ALL_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      },
    });
  }
  if (options.flappingCount) {
    const flappingCount = options.flappingCount;
    new Gauge({
      name: 'argus_master_flapping_nodes', registers,
      help: 'Nodes flapping now (SPEC §9.3: FLAP_TRANSITIONS online/offline transitions within FLAP_WINDOW_SECONDS).',
      async collect() {
        this.set(await flappingCount());
      },
    });
  }
  if (options.fleetHealth) healthGauges(registers, options.fleetHealth);
  if (options.pendingNotifications) notificationGauges(registers, options.pendingNotifications);
  if (options.windowStates) {
    const windowStates = options.windowStates;
    new Gauge({
      name: 'argus_master_maintenance_windows', help: 'Maintenance windows by state (SPEC §13; ended ones are kept as long as events).', labelNames: ['state'], registers,
      async collect() {
        for (const [state, n] of Object.entries(await windowStates())) this.set({ state }, n);
      },
    });
  }
  if (options.isLeader) {
    const isLeader = options.isLeader;
    new Gauge({
      name: 'argus_master_leader', registers,
      help: 'Whether this master is the leader (1) or a follower (0): the leader sweeps and publishes (SPEC §11).',
      collect() {
        this.set(isLeader() ? 1 : 0);
      },
    });
  }
}

/** Component names reported apart in argus_master_components_failing; the rest are `other`. */
export const COMPONENTS_SHOWN = 50;

/** A read shared by the gauges collected one after another on a scrape: one read per scrape, not per gauge. */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => (pending ??= read().finally(() => setImmediate(() => (pending = null))));
}

/** The fleet's health gauges (SPEC §13, §14), from one read per scrape. */
function healthGauges(registers: Registry[], fleetHealth: () => Promise<FleetHealth>): void {
  const once = oncePerScrape(fleetHealth);
  new Gauge({
    name: 'argus_master_nodes_degraded', help: 'Nodes with a failing component (SPEC §14); they stay online.', registers,
    async collect() {
      this.set((await once()).degraded);
    },
  });
  new Gauge({
    name: 'argus_master_nodes_in_maintenance', help: 'Nodes in an active maintenance window (SPEC §13).', registers,
    async collect() {
      this.set((await once()).inMaintenance);
    },
  });
  new Gauge({
    name: 'argus_master_components_failing', labelNames: ['component'], registers,
    help: `Nodes on which a component is failing, for the ${COMPONENTS_SHOWN} most frequent component names; the rest summed as component="other".`,
    async collect() {
      const { components } = await once();
      this.reset();
      for (const c of components.slice(0, COMPONENTS_SHOWN)) this.set({ component: c.component }, c.count);
      const other = components.slice(COMPONENTS_SHOWN).reduce((n, c) => n + c.count, 0);
      if (other > 0) this.set({ component: 'other' }, other);
    },
  });
}

/** Pending notifications and the oldest one's age by endpoint (SPEC §15), from one read per scrape. */
function notificationGauges(registers: Registry[], pending: () => Promise<Array<{ endpointId: string; count: number; oldestMs: number }>>): void {
  const once = oncePerScrape(pending);
  new Gauge({
    name: 'argus_master_notifications_pending', help: 'Notifications not yet delivered nor dead, by endpoint.', labelNames: ['endpoint'], registers,
    async collect() {
      this.reset();
      for (const p of await once()) this.set({ endpoint: p.endpointId }, p.count);
    },
  });
  new Gauge({
    name: 'argus_master_notifications_oldest_pending_seconds', help: 'Age of the oldest pending notification, by endpoint.', labelNames: ['endpoint'], registers,
    async collect() {
      this.reset();
      const now = Date.now();
      for (const p of await once()) this.set({ endpoint: p.endpointId }, Math.max(0, (now - p.oldestMs) / 1000));
    },
  });
}

/** The metrics of the sweeps, the published files and the fleet's events (counted where they happen). */
function fleetMetrics(registers: Registry[]) {
  return {
    statusTransitions: new Counter({ name: 'argus_master_status_transitions_total', help: 'Node status transitions, by previous and new status and by cause (report or sweep).', labelNames: ['from', 'to', 'cause'], registers }),
    registrations: new Counter({ name: 'argus_master_registrations_total', help: 'Registration requests by result (created, updated, not_found, name_mismatch).', labelNames: ['result'], registers }),
    statusReports: new Counter({ name: 'argus_master_status_reports_total', help: 'Accepted status reports.', registers }),
    sweepDuration: new Histogram({ name: 'argus_master_sweep_duration_seconds', help: 'Duration of status sweeps.', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers }),
    lastSweep: new Gauge({ name: 'argus_master_last_sweep_timestamp_seconds', help: 'Unix time of the last completed status sweep.', registers, aggregator: 'max' }),
    fileWrites: new Counter({ name: 'argus_master_published_file_writes_total', help: 'Publishes of nodes.json and the file_sd file, by file and result (written, unchanged, failed).', labelNames: ['file', 'result'], registers }),
    lastFileWrite: new Gauge({ name: 'argus_master_published_file_last_write_timestamp_seconds', help: 'Unix time of the last successful write, by file.', labelNames: ['file'], registers, aggregator: 'max' }),
    eventsWritten: new Counter({ name: 'argus_master_events_written_total', help: 'Fleet events written (SPEC §8.1), by type.', labelNames: ['type'], registers }),
    eventsPruned: new Counter({ name: 'argus_master_events_pruned_total', help: 'Events deleted by retention.', registers }),
    brakeHeld: new Gauge({ name: 'argus_master_brake_held_transitions', help: 'Offline transitions the mass-offline brake holds now (0: released); recorded by the sweeping process.', registers, aggregator: 'max' }),
    sdInvalidHosts: new Gauge({
      name: 'argus_master_sd_invalid_host_nodes', registers, aggregator: 'max',
      help: 'Nodes left out of the last Prometheus discovery document built by this process: their meta_data.ip or hostname is neither an IP address nor an RFC 1123 name.',
    }),
  };
}

/** The metrics of requests, streams and the database, in every process. */
function serviceMetrics(registers: Registry[]) {
  return {
    notifyDelivered: new Counter({ name: 'argus_master_notifications_delivered_total', help: 'Notifications delivered (a 2xx answer), by endpoint.', labelNames: ['endpoint'], registers }),
    notifyFailed: new Counter({ name: 'argus_master_notification_attempts_failed_total', help: 'Failed delivery attempts (no 2xx within 10 s), by endpoint.', labelNames: ['endpoint'], registers }),
    notifyDead: new Counter({ name: 'argus_master_notifications_dead_total', help: 'Notifications given up (too old, or the endpoint answered 410), by endpoint.', labelNames: ['endpoint'], registers }),
    streamClients: new Gauge({ name: 'argus_master_event_stream_clients', help: 'Open event streams (GET /events/stream), summed over the processes.', registers }),
    storageErrors: new Counter({ name: 'argus_master_storage_errors_total', help: 'Failed database calls by error code (e.g. SQLITE_FULL, SQLITE_BUSY), in every process.', labelNames: ['code'], registers }),
    httpRequests: new Counter({ name: 'argus_master_http_requests_total', help: 'HTTP requests by method, route and status code.', labelNames: ['method', 'route', 'code'], registers }),
    httpDuration: new Histogram({
      name: 'argus_master_http_request_duration_seconds', help: 'HTTP request latency by method and route.', labelNames: ['method', 'route'], registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    }),
  };
}

/** Creates this process's registry and metrics. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // Gauges named *_total break Prometheus's naming rules (`promtool check metrics` rejects them); the
    // same figures remain, broken down by type, in nodejs_active_handles/requests/resources.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  fleetGauges(registers, options);
  return { registry, ...fleetMetrics(registers), ...serviceMetrics(registers) };
}

/** One process's metrics, in the JSON form prom-client aggregates. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** Merges several processes' metrics into the exposition text (counters and histograms summed). */
export async function mergeMetrics(parts: MetricsJson[]): Promise<string> {
  return AggregatorRegistry.aggregate(parts).metrics();
}

/** The content type of the exposition text. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
