// The request log. A fleet's agents report all the time (100,000 agents: ~1,700 reports a second), so by
// default a request that went well writes nothing, as gunicorn's default did for the original; what an
// operator needs is written, one line per request: a refused request (4xx) at info, a failed one (5xx) at
// error with its cause, a slow one (over `slowMs`, SLOW_REQUEST_SECONDS) at warn. With `everyRequest`
// (LOG_REQUESTS=true) Fastify's own two lines per request are written as well. Event streams are left
// out: their length is how long the client watched, not how slow the master was. Guarantee: no flood —
// at most one such line a second per route and status (a database outage answers every report 503);
// the next line says how many were left out (`unlogged`).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A Server-Sent Events route: its answer lasts as long as the client listens. */
    stream?: boolean;
  }
  interface FastifyRequest {
    /** The error a 5xx answer was made of (set by the error handler), logged with the request's line. */
    failure: unknown;
  }
}

/** Options of the request log. */
export interface RequestLogOptions {
  /** A request taking longer than this (ms) is logged at warn. */
  slowMs: number;
  /** The clock of the once-a-second limit (tests). */
  nowMs?: () => number;
}

/** Lines of one route and status (and kind) at most this often; the others are counted. */
const LINE_EVERY_MS = 1_000;

/** What the line says about the request and its answer. */
const fieldsOf = (request: FastifyRequest, reply: FastifyReply) => ({
  req: request,
  statusCode: reply.statusCode,
  responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
});

/** The request log as a plugin whose hook sees every route (fastify-plugin lifts it out of its context). */
export const requestLog = fp(async function plugin(app: FastifyInstance, options: RequestLogOptions) {
  const now = options.nowMs ?? Date.now;
  const lines = new Map<string, { atMs: number; unlogged: number }>();
  /** Whether this line may be written now, and how many of its kind were left out since the last. */
  const admit = (key: string): { unlogged?: number } | null => {
    const t = now();
    const last = lines.get(key);
    if (last && t - last.atMs < LINE_EVERY_MS) {
      last.unlogged++;
      return null;
    }
    if (lines.size > 10_000) lines.clear(); // unknown URLs are one route ('unmatched'): a bound, not a path
    lines.set(key, { atMs: t, unlogged: 0 });
    return last?.unlogged ? { unlogged: last.unlogged } : {};
  };
  app.decorateRequest('failure', null);
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    const route = `${request.method} ${request.routeOptions.url ?? 'unmatched'}`;
    const stream = request.routeOptions.config?.stream === true;
    const kind = status >= 500 ? 'failed' : stream ? null : reply.elapsedTime > options.slowMs ? 'slow' : status >= 400 ? 'refused' : null;
    if (kind === null) return;
    const extra = admit(`${kind} ${status} ${route}`);
    if (extra === null) return;
    const fields = { ...fieldsOf(request, reply), ...extra };
    if (kind === 'failed') request.log.error({ ...fields, ...(request.failure ? { err: request.failure } : {}) }, 'request failed');
    else if (kind === 'slow') request.log.warn({ ...fields, slowerThanMs: options.slowMs }, 'slow request');
    else request.log.info(fields, 'request refused');
  });
}, { name: 'argus-request-log' });
