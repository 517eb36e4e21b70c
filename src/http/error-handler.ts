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

/** The status and body an error is answered with (the JSON API's and the dashboard's pages alike); `internal`: a 5xx to log. */
export function answerOf(err: FastifyError | AppError, contentType: string | undefined): { status: number; body: Record<string, unknown>; internal: boolean } {
  if (err instanceof AppError) return { status: STATUS_OF[err.code], body: { error: err.message, ...err.extra }, internal: false };
  if (err.validation) return { status: 400, body: { error: `invalid request: ${err.message}` }, internal: false };
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, body: { error: `unsupported content type ${JSON.stringify(contentType ?? '')}: send application/json` }, internal: false };
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, body: { error: err.message }, internal: false };
  return { status: 500, body: { error: 'internal server error' }, internal: true };
}

/** Installs the error and not-found handlers on `app`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    // Answered before its body arrived (a 401 from the onRequest check, a 413): close the connection
    // rather than keep a socket whose sender may trickle the rest of the body in forever.
    if (!request.raw.complete) reply.header('connection', 'close');
    if (err instanceof AppError && err.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="argus-master"');
    const answer = answerOf(err, request.headers['content-type']);
    // The request log writes the line of a 5xx, with this cause (request-log.ts).
    if (answer.internal) request.failure = err;
    return reply.code(answer.status).send(answer.body);
  });
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ error: `no such endpoint: ${request.method} ${request.url.split('?')[0]}` });
  });
}
