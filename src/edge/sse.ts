// A Server-Sent Events response on a hijacked reply: the headers proxies must honour (no buffering, no
// transformation), a retry hint, keep-alive comments, and writes that wait for the socket to drain (a
// slow reader holds its own stream back, never the process). Used by the API's event stream and the
// dashboard's change stream.
import type { Socket } from 'node:net';
import type { FastifyReply } from 'fastify';
import { systemClock, type Clock, type Timer } from '../clock.js';

/** Time between keep-alive comments on an open stream. */
export const STREAM_KEEPALIVE_MS = 15_000;

/** An open stream. */
export interface SseStream {
  /** Writes raw SSE text; resolves when the socket can take more (or the stream closed). */
  write(text: string): Promise<void>;
  /** Whether the client went away. */
  closed(): boolean;
}

/** How long a client refused for too many streams is asked to wait before trying again (s). */
export const STREAM_RETRY_AFTER_SECONDS = 10;

/** The answer to a stream beyond this process's share of MAX_STREAMS: 503, try again later. */
export function tooManyStreams(reply: FastifyReply, limit: number): FastifyReply {
  return reply.code(503).header('retry-after', String(STREAM_RETRY_AFTER_SECONDS)).type('application/json; charset=utf-8')
    .send({ error: `too many open streams on this master (${limit}, MAX_STREAMS); try again later` });
}

/**
 * Every stream opened by one plugin, ended when its app closes (a server waiting for them would never
 * stop); their keep-alive comments are `clock`'s timers.
 */
export function streamSet(clock: Clock = systemClock) {
  const open = new Set<FastifyReply>();
  return {
    size: () => open.size,
    endAll: () => {
      for (const r of open) r.raw.end();
    },
    /**
     * Starts the stream on `reply`; `onClose` runs once when the client goes or the app closes. Null, with
     * nothing started, when there is no stream to serve: a HEAD request (answered at once) or a client
     * already gone (it may reset while the handler awaited the database: its close was emitted before
     * anyone listened, and a subscriber made now would never be removed).
     */
    open(reply: FastifyReply, greeting: string, onClose: () => void): SseStream | null {
      if (reply.request.method === 'HEAD') {
        void reply.code(200).header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache, no-transform').send();
        return null;
      }
      const socket = reply.request.raw.socket as Socket | null;
      if (!socket || socket.destroyed || reply.raw.destroyed) {
        reply.hijack();
        reply.raw.destroy();
        return null;
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(`: ${greeting}\nretry: 2000\n\n`);
      const closed = () => raw.destroyed || raw.writableEnded;
      // A write the socket cannot take now waits for 'drain' or 'close', whichever comes, and removes
      // both listeners then (a stream blocked a thousand times must not gather a thousand listeners).
      const write = (text: string) =>
        new Promise<void>((resolve) => {
          if (closed()) return resolve();
          if (raw.write(text)) return resolve();
          const done = () => {
            raw.off('drain', done);
            raw.off('close', done);
            resolve();
          };
          raw.once('drain', done).once('close', done);
        });
      let keepAlive: Timer | null = null;
      const keep = () => {
        keepAlive = clock.setTimeout(() => {
          void write(': keep-alive\n\n');
          keep();
        }, STREAM_KEEPALIVE_MS);
      };
      keep();
      open.add(reply);
      raw.once('close', () => {
        keepAlive?.cancel();
        keepAlive = null;
        open.delete(reply);
        onClose();
      });
      return { write, closed };
    },
  };
}
