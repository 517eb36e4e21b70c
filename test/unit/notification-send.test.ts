// One delivery attempt against hostile receivers on loopback (SPEC §15): one that never answers, one that
// answers a multi-megabyte body, one that resets the connection, one that redirects. Each attempt ends
// in bounded time, keeps a short answer, never throws, and shows no credential.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { attempt } from '../../src/notifications/send.js';
import type { EndpointRecord } from '../../src/storage/core/notifications.js';

const servers: Server[] = [];
after(() => { for (const s of servers) { s.closeAllConnections(); s.close(); } });

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://u:s3cret@127.0.0.1:${(s.address() as AddressInfo).port}/hook`;
}
const endpoint = (url: string): EndpointRecord => ({
  id: 'E1', name: 'x', url, kind: 'webhook', events: [], selectorText: '', selector: [], enabled: true, disabledReason: null, createdMs: 0, fromEvent: 0, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
});
const msg = { id: 'msg_1', body: '{"type":"test"}' };

describe('an attempt against a hostile receiver', () => {
  it('ends at its timeout when the receiver never answers', async () => {
    const url = await serve(() => undefined);
    const started = Date.now();
    const r = await attempt(endpoint(url), msg, Date.now(), 300);
    assert.deepEqual(r, { status: 0, answer: 'no answer within 0.3 s' });
    assert.ok(Date.now() - started < 1_000);
  });
  it('ends at its timeout when the receiver trickles its answer', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200);
      const t = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(t));
    });
    const r = await attempt(endpoint(url), msg, Date.now(), 300);
    assert.equal(r.status === 200 || r.status === 0, true);
    assert.ok(r.answer.length <= 210);
  });
  it('reads at most a few kilobytes of a multi-megabyte answer', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 'a');
    const url = await serve((_req, res) => res.writeHead(500).end(big));
    const r = await attempt(endpoint(url), msg, Date.now(), 2_000);
    assert.equal(r.status, 500);
    assert.ok(r.answer.length <= 204, `${r.answer.length} characters kept`);
  });
  it('reports a reset connection without throwing, and without the credentials', async () => {
    const url = await serve((req) => req.socket.destroy());
    const r = await attempt(endpoint(url), msg, Date.now(), 2_000);
    assert.equal(r.status, 0);
    assert.match(r.answer, /^request failed: /);
    assert.ok(!r.answer.includes('s3cret'));
  });
  it('does not follow a redirect (a 3xx is a failed attempt), and sends the URL credentials as Basic authentication', async () => {
    let auth = '';
    const url = await serve((req, res) => {
      auth = req.headers.authorization ?? '';
      res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' }).end();
    });
    const r = await attempt(endpoint(url), msg, Date.now(), 2_000);
    assert.equal(r.status, 302);
    assert.equal(auth, `Basic ${Buffer.from('u:s3cret').toString('base64')}`);
  });
});
