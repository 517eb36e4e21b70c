// The history API (SPEC §8.2) through app.inject: GET /events and GET /nodes/{id}/events.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { registrationBody, summaries } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { strictJson } from '../helpers/strict-json.js';

const BASE = '/api/v1/master';
const tokens = { enroll: 'enroll-secret-0123456789', admin: 'admin-secret-0123456789', read: 'read-secret-0123456789' };
let m: TestMaster;
afterEach(async () => { await m.close(); });

async function call(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, token = tokens.admin) {
  const res = await m.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, payload: body ? JSON.stringify(body) : undefined });
  return { status: res.statusCode, body: strictJson(res.rawPayload), headers: res.headers };
}
const healthy = { timestamp: '2025-09-24T03:24:59Z', health: {} };

describe('GET /api/v1/master/events', () => {
  beforeEach(async () => { m = await makeTestMaster(); });

  it('lists the changes in id order, not the heartbeats, with after and limit', async () => {
    await call('POST', `${BASE}/nodes`, registrationBody('a'));
    await call('PUT', `${BASE}/nodes/A1/status`, healthy);
    await call('PUT', `${BASE}/nodes/A1/status`, healthy); // a heartbeat
    await call('PUT', `${BASE}/nodes/A1/config`, { label: ['gpu'] });
    const all = await call('GET', `${BASE}/events`);
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.map((e: any) => [e.id, e.type]), [[1, 'node.registered'], [2, 'node.status'], [3, 'node.config']]);
    assert.deepEqual(all.body[1], { id: 2, time: '2025-09-24T03:20:00Z', type: 'node.status', node_id: 'A1', from: 'initialized', to: 'online', cause: 'report' });
    assert.deepEqual((await call('GET', `${BASE}/events?after=1&limit=1`)).body.map((e: any) => e.id), [2]);
    assert.deepEqual((await call('GET', `${BASE}/events?type=node.config&type=node.registered`)).body.map((e: any) => e.id), [1, 3]);
    assert.deepEqual((await call('GET', `${BASE}/events?node_id=A2`)).body, []);
  });

  for (const q of ['limit=0', 'limit=1001', 'limit=x', 'after=-1', 'type=node.nope', `node_id=${Array.from({ length: 101 }, (_, i) => `A${i + 1}`).join(',')}`]) {
    it(`answers 400 for ${q}`, async () => {
      const res = await call('GET', `${BASE}/events?${q}`);
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.body), ['error']);
    });
  }

  it('answers 410 with the oldest retained id when the cursor was pruned, and starts at the oldest without one', async () => {
    for (const n of ['a', 'b', 'c']) await call('POST', `${BASE}/nodes`, registrationBody(n));
    m.clock.advance(10_000);
    await call('PUT', `${BASE}/nodes/A3/config`, { label: ['x'] });
    assert.equal(await m.store.pruneEvents({ olderThanMs: m.clock.now() - 1, maxPerNode: 1000 }), 3);
    const gone = await call('GET', `${BASE}/events?after=1`);
    assert.equal(gone.status, 410);
    assert.equal(gone.body.oldest, 4);
    assert.match(gone.body.error, /deleted by retention/);
    assert.deepEqual((await call('GET', `${BASE}/events?after=3`)).body.map((e: any) => e.id), [4], 'right before the oldest is fine');
    assert.deepEqual((await call('GET', `${BASE}/events`)).body.map((e: any) => e.id), [4]);
  });
});

describe('GET /api/v1/master/nodes/{id}/events', () => {
  beforeEach(async () => { m = await makeTestMaster(); });

  it('lists a node\'s events newest first, with a Link to the next page', async () => {
    await call('POST', `${BASE}/nodes`, registrationBody('a'));
    await call('POST', `${BASE}/nodes`, registrationBody('b'));
    for (let i = 0; i < 3; i++) await call('PUT', `${BASE}/nodes/A1/config`, { label: [`l${i}`] });
    const page1 = await call('GET', `${BASE}/nodes/A1/events?limit=2`);
    assert.deepEqual(page1.body.map((e: any) => e.id), [5, 4]);
    assert.equal(page1.headers.link, `<${BASE}/nodes/A1/events?before=4&limit=2>; rel="next"`);
    const page2 = await call('GET', `${BASE}/nodes/A1/events?before=4&limit=2`);
    assert.deepEqual(page2.body.map((e: any) => e.id), [3, 1]);
    const last = await call('GET', `${BASE}/nodes/A1/events?before=1&limit=2`);
    assert.deepEqual(last.body, []);
    assert.equal(last.headers.link, undefined);
  });

  it('answers 404 for an unknown node', async () => {
    assert.equal((await call('GET', `${BASE}/nodes/A9/events`)).status, 404);
    assert.equal((await call('GET', `${BASE}/nodes/nope/events`)).status, 404);
  });
});

describe('events in token mode', () => {
  beforeEach(async () => { m = await makeTestMaster({ tokens }); });

  it('need the read or admin token', async () => {
    const created = await call('POST', `${BASE}/nodes`, registrationBody('a'), tokens.enroll);
    for (const url of [`${BASE}/events`, `${BASE}/nodes/A1/events`]) {
      assert.equal((await call('GET', url, undefined, tokens.read)).status, 200, url);
      assert.equal((await call('GET', url, undefined, tokens.admin)).status, 200, url);
      assert.equal((await call('GET', url, undefined, created.body.token)).status, 403, url);
      assert.equal((await call('GET', url, undefined, tokens.enroll)).status, 403, url);
      assert.equal((await call('GET', url, undefined, 'nope')).status, 401, url);
    }
  });
});

describe('DELETE /api/v1/master/nodes/{id}', () => {
  it('removes the node, answers it as it was, and records a node.deregistered event; 404 after', async () => {
    m = await makeTestMaster();
    await call('POST', `${BASE}/nodes`, registrationBody('a'));
    await call('PUT', `${BASE}/nodes/A1/status`, healthy);
    const before = await m.store.publishVersion();
    const res = await m.app.inject({ method: 'DELETE', url: `${BASE}/nodes/A1` });
    assert.equal(res.statusCode, 200);
    assert.equal(strictJson(res.rawPayload).name, 'a');
    assert.notEqual(await m.store.publishVersion(), before, 'the published files follow');
    assert.equal((await call('GET', `${BASE}/nodes/A1`)).status, 404);
    assert.equal((await m.app.inject({ method: 'DELETE', url: `${BASE}/nodes/A1` })).statusCode, 404);
    assert.deepEqual((await call('GET', `${BASE}/events?type=node.deregistered`)).body.map((e: any) => [e.node_id, e.cause]), [['A1', 'admin']]);
    assert.equal((await call('POST', `${BASE}/nodes`, registrationBody('a'))).status, 201, 'the name registers anew');
  });

  it('is for the admin token only in token mode, and the node token dies with the node', async () => {
    m = await makeTestMaster({ tokens });
    const created = await call('POST', `${BASE}/nodes`, registrationBody('a'), tokens.enroll);
    for (const token of [tokens.read, tokens.enroll, created.body.token]) {
      assert.equal((await m.app.inject({ method: 'DELETE', url: `${BASE}/nodes/A1`, headers: { authorization: `Bearer ${token}` } })).statusCode, 403);
    }
    assert.equal((await m.app.inject({ method: 'DELETE', url: `${BASE}/nodes/A1`, headers: { authorization: `Bearer ${tokens.admin}` } })).statusCode, 200);
    assert.equal((await call('PUT', `${BASE}/nodes/A1/status`, healthy, created.body.token)).status, 401);
  });
});

describe('GET /api/v1/master/nodes with filters and paging (SPEC §9.5)', () => {
  beforeEach(async () => {
    m = await makeTestMaster();
    for (let i = 1; i <= 7; i++) await call('POST', `${BASE}/nodes`, registrationBody(`pod-${i}`));
    for (const id of ['A2', 'A5', 'A6']) await call('PUT', `${BASE}/nodes/${id}/status`, healthy);
    await call('PUT', `${BASE}/nodes/A5/config`, { label: ['gpu'] });
  });
  const get = (q: string) => m.app.inject({ method: 'GET', url: `${BASE}/nodes${q}` });

  it('answers a plain array of summaries with X-Total-Count and a Link to the next page', async () => {
    const first = await get('?status=online&limit=2');
    assert.deepEqual(strictJson(first.rawPayload).map((n: any) => n.id), ['A2', 'A5']);
    assert.equal(first.headers['x-total-count'], '3');
    assert.equal(first.headers.link, `<${BASE}/nodes?status=online&limit=2&after=A5>; rel="next"`);
    const second = await get('?status=online&limit=2&after=A5');
    assert.deepEqual(strictJson(second.rawPayload).map((n: any) => n.id), ['A6']);
    assert.equal(second.headers.link, undefined);
    assert.deepEqual(strictJson((await get('?label=gpu')).rawPayload).map((n: any) => n.id), ['A5']);
    assert.deepEqual(strictJson((await get('?q=POD-7')).rawPayload).map((n: any) => n.id), ['A7']);
  });

  it('answers exactly as before without parameters', async () => {
    const res = await get('');
    // Every node's summary, by ID number, with the original's fields only, and no paging headers.
    const body = strictJson(res.rawPayload) as Array<Record<string, unknown>>;
    assert.deepEqual(body.map((n) => Object.keys(n)), Array.from({ length: 7 }, () => ['id', 'name', 'status', 'type', 'version']));
    assert.deepEqual(body.map((n) => n.id), ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7']);
    assert.deepEqual(body, await summaries(m.store));
    assert.equal(res.headers['x-total-count'], undefined);
    assert.equal(res.headers.link, undefined);
  });

  it('filters the statistics the same way', async () => {
    const res = await m.app.inject({ method: 'GET', url: `${BASE}/nodes/statistics?label=gpu` });
    assert.deepEqual(strictJson(res.rawPayload), { total: 1, status_statistics: [{ status: 'online', count: 1 }] });
  });

  for (const q of ['?status=dead', '?limit=0', '?limit=1001', '?after=nope', '?flapping=yes', '?label=']) {
    it(`answers 400 for ${q}`, async () => {
      const res = await get(q);
      assert.equal(res.statusCode, 400, res.payload);
      assert.deepEqual(Object.keys(strictJson(res.rawPayload)), ['error']);
    });
  }
});

describe('the brake API in token mode (SPEC §9.4)', () => {
  it('GET /brake for the read and admin tokens, POST /brake/release for the admin only', async () => {
    m = await makeTestMaster({ tokens });
    const get = (token: string) => m.app.inject({ method: 'GET', url: `${BASE}/brake`, headers: { authorization: `Bearer ${token}` } });
    const release = (token: string) => m.app.inject({ method: 'POST', url: `${BASE}/brake/release`, headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(strictJson((await get(tokens.read)).rawPayload), { state: 'released', held: 0, since: null, releases_at: null });
    assert.equal((await get(tokens.enroll)).statusCode, 403);
    assert.equal((await release(tokens.read)).statusCode, 403);
    const ok = await release(tokens.admin);
    assert.equal(ok.statusCode, 202);
    assert.equal(strictJson(ok.rawPayload).state, 'released');
  });
});
