// The SSE stream helper (src/edge/sse.ts) over a stand-in for Fastify's reply and Node's response: a
// socket that takes nothing until it drains.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { FastifyReply } from 'fastify';
import { streamSet } from '../../src/edge/sse.js';
import { createManualClock } from '../../src/clock.js';

/** A response whose every write is refused until `drain` is emitted. */
function blockedReply() {
  const raw = Object.assign(new EventEmitter(), {
    destroyed: false, writableEnded: false, written: [] as string[],
    writeHead() { return raw; },
    write(text: string): boolean { raw.written.push(text); return false; },
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

  it('sends a keep-alive comment every 15 s while open (SPEC §8.2: proxies keep the connection), and none once closed', async () => {
    const clock = createManualClock();
    const { raw, reply } = blockedReply();
    raw.write = (text: string) => { raw.written.push(text); return true; };
    streamSet(clock).open(reply, 'test', () => undefined);
    const keepAlives = () => raw.written.filter((t) => t === ': keep-alive\n\n').length;
    clock.advance(14_999);
    assert.equal(keepAlives(), 0);
    clock.advance(1);
    assert.equal(keepAlives(), 1);
    clock.advance(30_000);
    assert.equal(keepAlives(), 3);
    raw.end();
    clock.advance(60_000);
    assert.equal(keepAlives(), 3, 'closed: no more');
    assert.equal(clock.pending(), 0, 'no timer left');
  });
});
