// The edge of every request, before any route: the Fastify server's options and the checks every request
// passes. Guarantees: every error answered before routing (a malformed request line, a timeout, a bad
// URL) is JSON, and a request that trickles in is answered 408 and closed; a body is JSON only (415
// otherwise), checked as bytes and as text (request-text.ts: UTF-8, no lone surrogate, exact numbers,
// no name twice, bounded depth) with Fastify's prototype-poisoning protection kept; an HTTP/1.1 request
// without Host is a JSON 400; no answer may be sniffed into another type; the request log shows URLs
// with their credentials redacted.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { checkQueryEncoding, parseJsonBody } from './request-text.js';

/** Options of the server. */
export interface ServerOptions {
  logger: Logger;
  /** LOG_REQUESTS: Fastify's own line when each request arrives and when it is answered. */
  logRequests: boolean;
  /** Largest request body accepted; larger ones are answered 413. */
  bodyLimit?: number;
  /** Longest a request (headers and body) may take to arrive; then it is answered 408 and closed. */
  requestTimeoutMs?: number;
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

/** The server with the edge's checks, no route yet. */
export function createServer(options: ServerOptions): FastifyInstance {
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
  return app;
}
