// Builds the Fastify app (never listens: main or the tests decide that): the edge every request passes
// (edge/: server checks, Origin checks, the request log, the one error handler), the API (http/) and the
// dashboard (ui/), over one live event feed per process.
import type { Availability } from './availability/reports.js';
import { availabilityRoutes } from './http/routes/availability.js';
import type { FastifyInstance } from 'fastify';
import { createServer } from './edge/server.js';
import type { Logger } from 'pino';
import type { Principal } from './auth.js';
import type { Sessions } from './sessions.js';
import type { Metrics } from './metrics.js';
import { authPlugin } from './http/auth.js';
import { requestLog } from './edge/request-log.js';
import { originChecks } from './edge/origin.js';
import type { Nodes } from './nodes/index.js';
import type { ReadinessCheck } from './sweeping/readiness.js';
import { installErrorHandling } from './edge/errors.js';
import { healthRoutes } from './http/routes/health.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { nodeRoutes } from './http/routes/nodes.js';
import { sdRoutes } from './http/routes/sd.js';
import { eventRoutes } from './http/routes/events.js';
import { brakeRoutes } from './http/routes/brake.js';
import { maintenanceRoutes } from './http/routes/maintenance.js';
import { notificationRoutes } from './http/routes/notifications.js';
import type { Endpoints } from './notifications/endpoints.js';
import type { Maintenance } from './maintenance/windows.js';
import { createEventFeed } from './events/feed.js';
import swagger from '@fastify/swagger';
import { systemClock, type Clock } from './clock.js';
import { dashboardErrors, FAVICON_PATH, uiRoutes } from './ui/plugin.js';
import { readFileSync } from 'node:fs';
import { soleLeadership, type ClusterInfo } from './cluster/leadership.js';
import { clusterRoutes } from './http/routes/cluster.js';

/** The API's base path. */
export const BASE_PATH = '/api/v1/master';

/** Options of the HTTP app. */
export interface AppOptions {
  /** The node use cases (the API's and the dashboard's). */
  nodes: Nodes;
  /** Maintenance windows (SPEC §13). */
  maintenance: Maintenance;
  /** Availability and the fleet's history (SPEC §17). */
  availability: Availability;
  /** Notification endpoints and deliveries (SPEC §15). */
  endpoints: Endpoints;
  /** This process's readiness (sweeping/readiness.ts). */
  readiness: ReadinessCheck;
  logger: Logger;
  /** LOG_REQUESTS: two lines for every request; otherwise only refused, failed and slow ones (request-log.ts). */
  logRequests: boolean;
  /** SLOW_REQUEST_SECONDS in ms: a request taking longer is logged at warn (default 1,000). */
  slowRequestMs?: number;
  /** Default target ports of the Prometheus discovery endpoint. */
  sdPorts: readonly number[];
  /** This process's metrics (HTTP request counts) and the text /metrics answers (may merge processes). */
  metrics: Metrics;
  metricsText: () => Promise<string>;
  /** Largest request body accepted; larger ones are answered 413. */
  bodyLimit?: number;
  /** Longest a request (headers and body) may take to arrive; then it is answered 408 and closed. */
  requestTimeoutMs?: number;
  /** Streams (API and dashboard) this process may have open at once; 503 beyond (default: no limit). */
  maxStreams?: number;
  /** ALLOWED_HOSTS: more names a browser may reach this master by (origin.ts). */
  allowedHosts?: readonly string[];
  /** The cluster view of GET /cluster (SPEC §11); absent: a sole master. */
  cluster?: () => Promise<ClusterInfo>;
  /** /readyz names the leader and every master's last contact (the master runs on PostgreSQL). */
  clusterInProbes?: { leaseSeconds: number };
  /** Time of the dashboard's pages (relative times); the system clock by default. */
  clock?: Clock;
  /** AUTH_MODE=token: resolves bearer tokens. Absent: auth disabled, the original's behaviour. */
  authenticate?: (authorization: string | undefined) => Promise<Principal | null>;
  /** AUTH_MODE=token: the dashboard's sign-in sessions. */
  sessions?: Sessions;
}

/** Builds the app: the edge, the API, the dashboard; one error handler for all. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const clock = options.clock ?? systemClock;
  const app = createServer(options);
  // One error handler: JSON for the API, the dashboard's pages for /ui.
  installErrorHandling(app, dashboardErrors(clock));
  await app.register(requestLog, { slowMs: options.slowRequestMs ?? 1_000, nowMs: () => clock.now() });
  // OpenAPI 3.1 generated from the route schemas (SPEC §9.6); registered before the routes it documents.
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Argus Master', version: '0.2.0', description: 'The node registry of the Argus monitoring system (SPEC §2, §7–§9).' },
      components: options.authenticate ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {},
      security: options.authenticate ? [{ bearer: [] }] : [],
    },
  });
  await app.register(originChecks, { allowedHosts: options.allowedHosts ?? [] });
  if (options.authenticate) await app.register(authPlugin, { authenticate: options.authenticate });
  // Registered before the routes; its onResponse hook sees every route (the plugin is not encapsulated).
  await app.register(metricsRoutes(options.metrics, options.metricsText));
  const tokens = { tokens: options.authenticate !== undefined };
  const sole = soleLeadership('sole', Date.now());
  const clusterInfo = options.cluster ?? (() => sole.info());
  const probes = { ...tokens, cluster: options.clusterInProbes ? { info: clusterInfo, leaseSeconds: options.clusterInProbes.leaseSeconds } : undefined };
  await app.register(healthRoutes(options.readiness, probes));
  await app.register(healthRoutes(options.readiness, probes), { prefix: BASE_PATH });
  await app.register(nodeRoutes(options.nodes, tokens), { prefix: BASE_PATH });
  await app.register(sdRoutes(options.nodes, options.sdPorts), { prefix: BASE_PATH });
  await app.register(brakeRoutes(options.nodes), { prefix: BASE_PATH });
  await app.register(maintenanceRoutes(options.maintenance, clock), { prefix: BASE_PATH });
  await app.register(notificationRoutes(options.endpoints), { prefix: BASE_PATH });
  await app.register(availabilityRoutes(options.availability), { prefix: BASE_PATH });
  await app.register(clusterRoutes(clusterInfo), { prefix: BASE_PATH });
  // The live feed of this process: it watches the store only while a stream is open.
  const feed = createEventFeed(options.nodes, { onError: (err) => app.log.warn({ err }, 'event feed: reading new events failed; retrying') });
  app.addHook('onClose', async () => feed.close());
  // Open streams of this process, the API's and the dashboard's (both count in feed.size()).
  const onClients = (n: number) => options.metrics.streamClients.set(n);
  await app.register(eventRoutes(options.nodes, feed, onClients, options.maxStreams), { prefix: BASE_PATH });
  app.get(`${BASE_PATH}/openapi.json`, { config: { access: 'open' }, schema: { hide: true } }, async () => app.swagger());
  // The dashboard (SPEC §10), and / leading to it.
  await app.register(uiRoutes({ nodes: options.nodes, maintenance: options.maintenance, endpoints: options.endpoints, availability: options.availability, readiness: options.readiness, feed, clock, authenticate: options.authenticate, sessions: options.sessions, onClients, maxStreams: options.maxStreams }), { prefix: '/ui' });
  app.get('/', { config: { access: 'open' }, schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui/', 302));
  // Every browser asks for it (a 404 is a console error on each page it opens).
  const favicon = readFileSync(FAVICON_PATH);
  app.get('/favicon.ico', { config: { access: 'open' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('image/x-icon').header('cache-control', 'public, max-age=86400').send(favicon));
  return app;
}
