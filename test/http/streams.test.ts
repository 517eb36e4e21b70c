// The streams (GET /events/stream, the dashboard's /ui/stream) on a real socket: a client that goes away
// while the stream is being set up leaves nothing behind (no subscriber, no keep-alive timer, no poll);
// HEAD answers at once.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { openStream } from '../helpers/sse.js';

/** The open streams this process counts (argus_master_event_stream_clients). */
const openStreams = async (m: TestMaster) => (await m.metrics.streamClients.get()).values[0]?.value ?? 0;

/** Until `check` holds, a turn of the event loop at a time (bounded). */
async function until(what: string, check: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`never: ${what}`);
}

describe('event streams on a real socket', () => {
  let m: TestMaster | undefined;
  afterEach(async () => {
    await m?.close();
    m = undefined;
  });

  for (const path of ['/api/v1/master/events/stream', '/ui/stream']) {
    it(`${path}: a client that resets while the stream's start point is read leaves no subscriber behind`, async () => {
      m = await makeTestMaster();
      await m.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = m.app.server.address() as { port: number };
      // The start point (the last event id) is read from a database that answers slowly (PostgreSQL).
      const bounds = m.nodes.eventBounds.bind(m.nodes);
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      let asked = false;
      m.nodes.eventBounds = async () => {
        asked = true;
        await gate;
        return bounds();
      };
      const serverSide = new Promise<Socket>((r) => m!.app.server.once('connection', r));
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
      await until('the start point asked for', () => asked);
      const server = await serverSide;
      const closed = new Promise((r) => (server.destroyed ? r(null) : server.once('close', r)));
      socket.resetAndDestroy();
      await closed;
      release();
      // The handler goes on within these turns (the database answers at once after the gate).
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.equal(await openStreams(m), 0, 'no subscriber left');
    });
  }

  it('answers a stream beyond MAX_STREAMS (API and dashboard alike) 503 with Retry-After, and takes one again once another closed', async () => {
    m = await makeTestMaster({ maxStreams: 2 });
    await m.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = m.app.server.address() as { port: number };
    const base = `http://127.0.0.1:${port}`;
    const first = openStream(`${base}/api/v1/master/events/stream`);
    const second = openStream(`${base}/ui/stream`);
    try {
      assert.equal((await first.opened).statusCode, 200);
      assert.equal((await second.opened).statusCode, 200);
      await until('two streams counted', async () => (await openStreams(m!)) === 2);
      for (const path of ['/api/v1/master/events/stream', '/ui/stream']) {
        const refused = await fetch(`${base}${path}`);
        assert.equal(refused.status, 503, path);
        assert.equal(refused.headers.get('retry-after'), '10');
        assert.match((await refused.json() as { error: string }).error, /too many open streams on this master \(2, MAX_STREAMS\)/);
      }
      first.close();
      await until('one stream left', async () => (await openStreams(m!)) === 1);
      const third = openStream(`${base}/api/v1/master/events/stream`);
      assert.equal((await third.opened).statusCode, 200);
      third.close();
    } finally {
      first.close();
      second.close();
    }
  });

  it('HEAD /api/v1/master/events/stream answers at once and holds nothing open', async () => {
    m = await makeTestMaster();
    const res = await m.app.inject({ method: 'HEAD', url: '/api/v1/master/events/stream' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    assert.equal(await openStreams(m), 0);
  });
});

describe('requests on a real socket', () => {
  it('answers an HTTP/1.1 request without Host 400 in JSON (not Node\'s plain text), and serves an HTTP/1.0 one', async () => {
    const m = await makeTestMaster();
    try {
      await m.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = m.app.server.address() as { port: number };
      const send = (text: string) => new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let out = '';
        socket.on('data', (d) => { out += d.toString('utf8'); });
        socket.on('end', () => resolve(out));
        socket.on('error', reject);
        socket.end(text);
      });
      const noHost = await send('GET /api/v1/master/nodes HTTP/1.1\r\nConnection: close\r\n\r\n');
      assert.match(noHost, /^HTTP\/1\.1 400 /);
      assert.match(noHost, /content-type: application\/json/i);
      assert.match(noHost, /\{"error":"invalid request: an HTTP\/1\.1 request must have a Host header"\}/);
      assert.match(await send('GET /healthz HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200 [\s\S]*\{"status":"ok"\}/);
    } finally {
      await m.close();
    }
  });
});
