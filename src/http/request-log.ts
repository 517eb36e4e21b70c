// The request log. A fleet's agents report all the time (100,000 agents: ~1,700 reports a second), so by
// default a request that went well writes nothing, as gunicorn's default did for the original; what an
// operator needs is written, one line per request: a refused request (4xx) at info, a failed one (5xx) at
// error with its cause, a slow one (over `slowMs`, SLOW_REQUEST_SECONDS) at warn. With `everyRequest`
// (LOG_REQUESTS=true) Fastify's own two lines per request are written as well. Event streams are left
// out: their length is how long the client watched, not how slow the master was.
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
}

/** What the line says about the request and its answer. */
const fieldsOf = (request: FastifyRequest, reply: FastifyReply) => ({
  req: request,
  statusCode: reply.statusCode,
  responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
});

/** The request log as a plugin whose hook sees every route (fastify-plugin lifts it out of its context). */
export const requestLog = fp(async function plugin(app: FastifyInstance, options: RequestLogOptions) {
  app.decorateRequest('failure', null);
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    if (status >= 500) {
      request.log.error({ ...fieldsOf(request, reply), ...(request.failure ? { err: request.failure } : {}) }, 'request failed');
    } else if (request.routeOptions.config?.stream) {
      return;
    } else if (reply.elapsedTime > options.slowMs) {
      request.log.warn({ ...fieldsOf(request, reply), slowerThanMs: options.slowMs }, 'slow request');
    } else if (status >= 400) {
      request.log.info(fieldsOf(request, reply), 'request refused');
    }
  });
}, { name: 'argus-request-log' });
