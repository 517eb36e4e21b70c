// The one place that maps errors to HTTP answers, for the API and the dashboard alike: the API's is
// `{"error": "..."}`, the dashboard's a page (or plain text for its fragments and streams); a 5xx never
// carries internals, except the contract's deliberate 500 on an ID/name mismatch.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type AppErrorCode } from '../errors.js';

const STATUS_OF: Record<AppErrorCode, number> = {
  NODE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  CONFLICT: 409,
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

/** How a part of the app that is not the JSON API answers errors (the dashboard: pages, fragments, streams). */
export interface ErrorPages {
  /** Whether `request` is this part's, and how its errors are answered: a page (HTML) or plain text (a fragment, a stream). */
  kind(request: FastifyRequest): 'page' | 'text' | null;
  /** Answers an error as a page. */
  page(request: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply;
  /** Where a browser that is not signed in is sent instead of a 401 page (a GET of a page). */
  signIn(request: FastifyRequest): string;
}

/**
 * Installs the one error handler and not-found handler of the app: JSON for the API (`{"error": ...}`),
 * and for the dashboard (`pages`) an HTML page, plain text for its fragments and streams, or the
 * sign-in page for a browser without a session.
 */
export function installErrorHandling(app: FastifyInstance, pages?: ErrorPages): void {
  app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
    // Answered before its body arrived (a 401 from the onRequest check, a 413): close the connection
    // rather than keep a socket whose sender may trickle the rest of the body in forever.
    if (!request.raw.complete) reply.header('connection', 'close');
    const answer = answerOf(err, request.headers['content-type']);
    // The request log writes the line of a 5xx, with this cause (request-log.ts).
    if (answer.internal) request.failure = err;
    const kind = pages?.kind(request) ?? null;
    const unauthorized = err instanceof AppError && err.code === 'UNAUTHORIZED';
    if (kind === null) {
      if (unauthorized) reply.header('www-authenticate', 'Bearer realm="argus-master"');
      return reply.code(answer.status).send(answer.body);
    }
    if (unauthorized && kind === 'page' && request.method === 'GET') return reply.redirect(pages!.signIn(request), 303);
    const message = String(answer.body.error);
    if (kind === 'text') return reply.code(answer.status).type('text/plain; charset=utf-8').send(message);
    return pages!.page(request, reply, answer.status, message);
  });
  app.setNotFoundHandler((request, reply) => {
    if (pages?.kind(request) === 'page') return pages.page(request, reply, 404, `There is no page ${request.url.split('?')[0]}.`);
    return reply.code(404).send({ error: `no such endpoint: ${request.method} ${request.url.split('?')[0]}` });
  });
}
