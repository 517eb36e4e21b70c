// The one place that maps errors to HTTP answers. Every answer is `{"error": "..."}`; a 5xx never
// carries internals, except the contract's deliberate 500 on an ID/name mismatch.
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, type AppErrorCode } from '../errors.js';

const STATUS_OF: Record<AppErrorCode, number> = {
  NODE_NOT_FOUND: 404,
  NAME_MISMATCH: 500,
  BAD_REQUEST: 400,
  UNAVAILABLE: 503,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  GONE: 410,
};

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    // Answered before its body arrived (a 401 from the onRequest check, a 413): close the connection
    // rather than keep a socket whose sender may trickle the rest of the body in forever.
    if (!request.raw.complete) reply.header('connection', 'close');
    if (err instanceof AppError) {
      if (err.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="argus-master"');
      return reply.code(STATUS_OF[err.code]).send({ error: err.message, ...err.extra });
    }
    if (err.validation) {
      return reply.code(400).send({ error: `invalid request: ${err.message}` });
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).send({ error: `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}: send application/json` });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: err.message });
    }
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal server error' });
  });
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ error: `no such endpoint: ${request.method} ${request.url.split('?')[0]}` });
  });
}
