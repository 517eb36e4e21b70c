// Answers whose JSON is already serialised (by SQLite, or stored as an event's JSON): the route's
// response schema documents the shape, and Fastify sends the bytes as they are (it serialises only
// objects), so a 100,000-node list is never turned into objects and back.
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** Sends serialised JSON with its content type; `status` defaults to 200. */
export function sendSerialized(reply: FastifyReply, body: Buffer | string | Readable, status = 200): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
