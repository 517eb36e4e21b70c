// Builds the Fastify app (never listens: main or the tests decide that).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Principal } from '../auth.js';
import type { Sessions } from '../sessions.js';
import type { Metrics } from '../metrics.js';
import { authPlugin } from './auth.js';
import { AppError } from '../errors.js';
import { requestLog } from './request-log.js';
import { originChecks } from './origin.js';
import type { Nodes } from '../nodes/index.js';
import type { ReadinessCheck } from '../sweeping/readiness.js';
import { installErrorHandling } from './error-handler.js';
import { checkQueryEncoding, parseJsonBody } from './json-body.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { nodeRoutes } from './routes/nodes.js';
import { sdRoutes } from './routes/sd.js';
import { eventRoutes } from './routes/events.js';
import { brakeRoutes } from './routes/brake.js';
import { createEventFeed } from '../events/feed.js';
import swagger from '@fastify/swagger';
import { systemClock, type Clock } from '../clock.js';
import { FAVICON_PATH, uiRoutes } from '../ui/plugin.js';
import { readFileSync } from 'node:fs';
import { soleLeadership, type ClusterInfo } from '../cluster/leadership.js';
import { clusterRoutes } from './routes/cluster.js';

/** The API's base path. */
export const BASE_PATH = '/api/v1/master';

/** Options of the HTTP app. */
export interface AppOptions {
  /** The node use cases (the API's and the dashboard's). */
  nodes: Nodes;
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

/**
 * Query parameters whose values are credentials: never written to the request log. `next` (the sign-in
 * page's) is a whole URL that may carry any of them.
 */
const CREDENTIAL_PARAM = /token|secret|passw|pwd|auth|key|bearer|jwt|session|cookie|credential|(^|[-_.])sig(nature)?($|[-_.])|^next$/i;

/** The URL with the value of every credential-like query parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    return eq >= 0 && CREDENTIAL_PARAM.test(decodeURIComponentSafe(name)) ? `${name}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${query.join('&')}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The request as the request log shows it (Fastify's fields, the URL redacted). */
function serializeRequest(req: FastifyRequest) {
  return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}

/** Builds the app with every route, schema and the error handler. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    // The cast keeps the app typed with Fastify's own logger type (pino's Logger would type the instance
    // differently from the FastifyInstance the plugins take).
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: options.logger.child({ module: 'http' }, { serializers: { req: serializeRequest } }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !options.logRequests }),
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: false,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // A request trickling in (a body sent a byte every few seconds) is answered 408 and its connection
    // closed once it took longer than this; Node checks every second.
    requestTimeout: requestTimeoutMs,
    // A request without Host is answered by our hook below in JSON, not by Node in plain text.
    http: { headersTimeout: Math.min(requestTimeoutMs, 60_000), connectionsCheckingInterval: 1_000, requireHostHeader: false },
    // Errors Fastify answers before routing (a malformed URL, a bad request line) are JSON too.
    frameworkErrors: (err, _request, reply) => {
      void (reply as unknown as FastifyReply).code(err.statusCode ?? 400).send({ error: `invalid request: ${err.message}` });
    },
    // Errors Node's HTTP parser meets before Fastify (a malformed request line, a request that timed
    // out): answered in JSON and the connection closed.
    clientErrorHandler: (err, socket) => {
      const code = (err as { code?: string }).code;
      if (code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const timedOut = code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const body = JSON.stringify({ error: timedOut ? 'request timed out: the request did not arrive in time' : `bad request: ${code ?? 'malformed HTTP'}` });
      socket.end(`HTTP/1.1 ${timedOut ? '408 Request Timeout' : '400 Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
    ajv: {
      // Strict types: nothing is coerced, nothing is removed or defaulted.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false },
    },
  });
  // Bodies are JSON only: any other content type is answered 415 (Fastify also parses text/plain by default).
  app.removeContentTypeParser('text/plain');
  // JSON bodies are checked as bytes (UTF-8) and as text (no lone surrogate, finite numbers, bounded
  // depth) before any route sees them; Fastify's own parser keeps its prototype-poisoning protection.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer, (text) => {
        let out: unknown;
        // Fastify's JSON parser calls back synchronously.
        void defaultJson(request, text, (err, value) => {
          if (err) throw err;
          out = value;
        });
        return out;
      }));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addHook('onRequest', async (request) => {
    // HTTP/1.1 requires Host (RFC 9112 §3.2); HTTP/1.0 does not.
    if (request.headers.host === undefined && request.raw.httpVersion !== '1.0') throw new AppError('BAD_REQUEST', 'invalid request: an HTTP/1.1 request must have a Host header');
    checkQueryEncoding(request.url);
  });
  // No answer is to be sniffed into another type (a JSON error echoing text must not become HTML).
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
  installErrorHandling(app);
  await app.register(requestLog, { slowMs: options.slowRequestMs ?? 1_000, nowMs: () => (options.clock ?? systemClock).now() });
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
  await app.register(clusterRoutes(clusterInfo), { prefix: BASE_PATH });
  // The live feed of this process: it watches the store only while a stream is open.
  const feed = createEventFeed(options.nodes, { onError: (err) => app.log.warn({ err }, 'event feed: reading new events failed; retrying') });
  app.addHook('onClose', async () => feed.close());
  // Open streams of this process, the API's and the dashboard's (both count in feed.size()).
  const onClients = (n: number) => options.metrics.streamClients.set(n);
  await app.register(eventRoutes(options.nodes, feed, onClients, options.maxStreams), { prefix: BASE_PATH });
  app.get(`${BASE_PATH}/openapi.json`, { config: { access: 'open' }, schema: { hide: true } }, async () => app.swagger());
  // The dashboard (SPEC §10), and / leading to it.
  await app.register(uiRoutes({ nodes: options.nodes, readiness: options.readiness, feed, clock: options.clock ?? systemClock, authenticate: options.authenticate, sessions: options.sessions, onClients, maxStreams: options.maxStreams }), { prefix: '/ui' });
  app.get('/', { config: { access: 'open' }, schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui/', 302));
  // Every browser asks for it (a 404 is a console error on each page it opens).
  const favicon = readFileSync(FAVICON_PATH);
  app.get('/favicon.ico', { config: { access: 'open' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('image/x-icon').header('cache-control', 'public, max-age=86400').send(favicon));
  return app;
}
