// The SSE stream helper (src/http/sse.ts) over a stand-in for Fastify's reply and Node's response: a
// socket that takes nothing until it drains.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { FastifyReply } from 'fastify';
import { streamSet } from '../../src/edge/sse.js';

/** A response whose every write is refused until `drain` is emitted. */
function blockedReply() {
  const raw = Object.assign(new EventEmitter(), {
    destroyed: false, writableEnded: false, written: [] as string[],
    writeHead() { return raw; },
    write(text: string) { raw.written.push(text); return false; },
    end() { raw.writableEnded = true; raw.emit('close'); },
  });
  const reply = { raw, hijack() {}, request: { method: 'GET', raw: { socket: { destroyed: false } } } };
  return { raw, reply: reply as unknown as FastifyReply };
}

describe('SSE streams', () => {
  it('a write that waits for the socket to drain leaves no listener behind once it resolves', async () => {
    const { raw, reply } = blockedReply();
    const stream = streamSet().open(reply, 'test', () => undefined)!;
    try {
      const before = { close: raw.listenerCount('close'), drain: raw.listenerCount('drain') };
      for (let i = 0; i < 50; i++) {
        const written = stream.write(`data: ${i}\n\n`);
        raw.emit('drain');
        await written;
      }
      assert.deepEqual({ close: raw.listenerCount('close'), drain: raw.listenerCount('drain') }, before);
    } finally {
      raw.end(); // ends its keep-alive timer
    }
  });
});
