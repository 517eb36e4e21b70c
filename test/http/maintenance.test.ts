// Maintenance windows through the API (SPEC §13): create for a selector and/or nodes, list, read,
// change, end; their effects on nodes (the node object, discovery, events) as the sweeping side's pass
// applies them; bad input and token-mode rights.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { registrationBody } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { strictJson } from '../helpers/strict-json.js';

const BASE = '/api/v1/master';
const tokens = { enroll: 'enroll-secret-0123456789', admin: 'admin-secret-0123456789', read: 'read-secret-0123456789' };
let m: TestMaster;
afterEach(async () => { await m.close(); });

async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await m.app.inject({ method, url, headers, payload: body ? JSON.stringify(body) : undefined });
  return { status: res.statusCode, body: strictJson(res.rawPayload) };
}
const T0 = '2025-09-24T03:20:00Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString().replace('.000Z', 'Z');

async function rack7(token?: string) {
  for (const name of ['a', 'b', 'c']) await call('POST', `${BASE}/nodes`, registrationBody(name), token);
  await call('PUT', `${BASE}/nodes/A1/config`, { label: ['rack=7'] }, token);
  await call('PUT', `${BASE}/nodes/A2/config`, { label: ['rack=7'] }, token);
  for (const id of ['A1', 'A2', 'A3']) await call('PUT', `${BASE}/nodes/${id}/status`, { timestamp: T0, health: {} }, token);
}

describe('maintenance windows (SPEC §13)', () => {
  it('creates a window for a selector with a duration: 201 with its state, actor and the nodes it covers', async () => {
    m = await makeTestMaster();
    await rack7();
    const res = await call('POST', `${BASE}/maintenance`, { selector: 'rack=7', reason: 'recabling rack 7', duration_seconds: 7200, actor: 'alice' });
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, {
      id: 'M1', selector: 'rack=7', nodes: [], reason: 'recabling rack 7', actor: 'alice', starts_at: T0, ends_at: at(120), created_at: T0,
      ended_at: null, state: 'active', cancelled: false, matched: 2,
    });
    assert.deepEqual((await call('GET', `${BASE}/maintenance/M1`)).body, res.body);
    assert.deepEqual((await call('GET', `${BASE}/maintenance?state=active`)).body.map((w: { id: string }) => w.id), ['M1']);
    assert.deepEqual((await call('GET', `${BASE}/maintenance?state=scheduled`)).body, []);
  });

  it('puts the nodes in maintenance within a pass: the node object, discovery and events; status still changes', async () => {
    m = await makeTestMaster({ onlineSeconds: 120, offlineSeconds: 180 });
    await rack7();
    await call('POST', `${BASE}/maintenance`, { selector: 'rack=7', nodes: ['A3'], reason: 'firmware', ends_at: at(60) });
    assert.equal((await call('GET', `${BASE}/nodes/A1`)).body.maintenance, null, 'the pass has not run yet');
    await m.maintenancePass.runOnce();
    assert.deepEqual((await call('GET', `${BASE}/nodes/A1`)).body.maintenance, { window: 'M1', reason: 'firmware', actor: 'anonymous', ends_at: at(60) });
    const sd = (await call('GET', `${BASE}/sd/prometheus`)).body as Array<{ labels: Record<string, string> }>;
    assert.deepEqual(sd.map((g) => g.labels.__meta_argus_maintenance), ['true', 'true', 'true']);
    assert.deepEqual((await call('GET', `${BASE}/nodes?selector=maintenance%3Dtrue`)).body.map((n: { id: string }) => n.id), ['A1', 'A2', 'A3']);
    m.clock.advance(200_000);
    await m.sweeping.heartbeat({ intervalMs: 30_000, publishErrors: [] }); // the sweeper ran meanwhile
    await m.sweeping.sweep({ collect: false });
    const status = (await call('GET', `${BASE}/events?type=node.status&node_id=A1`)).body as Array<Record<string, unknown>>;
    assert.deepEqual(status.at(-1), { ...status.at(-1), from: 'online', to: 'offline', cause: 'sweep', maintenance: 'M1' }, 'liveness stays the truth');
    await call('PUT', `${BASE}/nodes/A2/status`, { timestamp: T0, health: {} });
    m.clock.advance(3_600_000);
    await m.maintenancePass.runOnce();
    const left = (await call('GET', `${BASE}/events?type=node.maintenance`)).body.filter((e: { in: boolean }) => !e.in);
    assert.deepEqual(left.map((e: Record<string, unknown>) => [e.node_id, e.status, e.entered_status]), [['A1', 'offline', 'online'], ['A2', 'online', 'online'], ['A3', 'offline', 'online']]);
    assert.deepEqual((await call('GET', `${BASE}/events?type=maintenance.started&type=maintenance.ended`)).body.map((e: Record<string, unknown>) => [e.type, e.window, e.matched]),
      [['maintenance.started', 'M1', 3], ['maintenance.ended', 'M1', 3]]);
    assert.equal((await call('GET', `${BASE}/maintenance/M1`)).body.state, 'ended');
  });

  it('changes the reason and end, ends an active window at once and cancels a scheduled one', async () => {
    m = await makeTestMaster();
    await rack7();
    await call('POST', `${BASE}/maintenance`, { selector: 'rack=7', reason: 'a', duration_seconds: 600 });
    await call('POST', `${BASE}/maintenance`, { nodes: ['A3'], reason: 'b', starts_at: at(30), ends_at: at(90) });
    const patched = await call('PATCH', `${BASE}/maintenance/M1`, { reason: 'longer', ends_at: at(20) });
    assert.deepEqual([patched.status, patched.body.reason, patched.body.ends_at], [200, 'longer', at(20)]);
    const scheduled = await call('GET', `${BASE}/maintenance/M2`);
    assert.deepEqual([scheduled.body.state, scheduled.body.matched], ['scheduled', 1]);
    const ended = await call('DELETE', `${BASE}/maintenance/M1`);
    assert.deepEqual([ended.status, ended.body.ends_at, ended.body.state], [200, T0, 'ended']);
    const cancelled = await call('DELETE', `${BASE}/maintenance/M2`);
    assert.deepEqual([cancelled.body.state, cancelled.body.cancelled, cancelled.body.ended_at], ['ended', true, T0]);
    assert.equal((await call('PATCH', `${BASE}/maintenance/M2`, { reason: 'x' })).status, 409, 'an ended window is not changed');
    assert.deepEqual((await call('GET', `${BASE}/maintenance`)).body.map((w: { id: string }) => w.id), ['M2', 'M1']);
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['no end', { selector: 'gpu', reason: 'x' }, 'a window needs an end'],
    ['both ends', { selector: 'gpu', reason: 'x', ends_at: at(5), duration_seconds: 60 }, 'not both'],
    ['longer than 30 days', { selector: 'gpu', reason: 'x', duration_seconds: 31 * 86_400 }, 'at most 30 days'],
    ['an end before its start', { selector: 'gpu', reason: 'x', starts_at: at(10), ends_at: at(5) }, 'end after it starts'],
    ['an end in the past', { selector: 'gpu', reason: 'x', starts_at: at(-10), ends_at: at(-5) }, 'end in the future'],
    ['neither selector nor nodes', { reason: 'x', duration_seconds: 60 }, 'a selector or nodes'],
    ['a selector that does not parse', { selector: 'rack in 7', reason: 'x', duration_seconds: 60 }, "invalid selector at position 8: expected '('"],
    ['an empty reason', { selector: 'gpu', reason: '  ', duration_seconds: 60 }, 'reason must say why'],
    ['a bad time', { selector: 'gpu', reason: 'x', ends_at: 'tomorrow' }, 'RFC 3339'],
    ['a bad node ID', { nodes: ['not an id'], reason: 'x', duration_seconds: 60 }, 'is not a node ID'],
    ['an unknown field', { selector: 'gpu', reason: 'x', duration_seconds: 60, owner: 'bob' }, 'additional'],
  ];
  for (const [what, body, message] of bad) {
    it(`refuses ${what} with a 400 that says what was expected, storing nothing`, async () => {
      m = await makeTestMaster();
      const res = await call('POST', `${BASE}/maintenance`, body);
      assert.equal(res.status, 400);
      assert.ok(res.body.error.includes(message), res.body.error);
      assert.deepEqual((await call('GET', `${BASE}/maintenance`)).body, []);
    });
  }

  it('answers 404 for an unknown window', async () => {
    m = await makeTestMaster();
    for (const [method, url] of [['GET', 'M9'], ['PATCH', 'M9'], ['DELETE', 'M9'], ['GET', 'x']] as const) {
      const res = await call(method, `${BASE}/maintenance/${url}`, method === 'PATCH' ? { reason: 'x' } : undefined);
      assert.deepEqual([res.status, res.body.error], [404, `maintenance window ${url} not found`]);
    }
  });

  it('in token mode: the read token reads, only admin writes, and the actor is the token kind', async () => {
    m = await makeTestMaster({ tokens });
    await rack7(tokens.admin);
    assert.equal((await call('POST', `${BASE}/maintenance`, { selector: 'rack=7', reason: 'x', duration_seconds: 60 }, tokens.read)).status, 403);
    assert.equal((await call('POST', `${BASE}/maintenance`, { selector: 'rack=7', reason: 'x', duration_seconds: 60 })).status, 401);
    const made = await call('POST', `${BASE}/maintenance`, { selector: 'rack=7', reason: 'x', duration_seconds: 60, actor: 'mallory' }, tokens.admin);
    assert.deepEqual([made.status, made.body.actor], [201, 'admin']);
    assert.equal((await call('GET', `${BASE}/maintenance`, undefined, tokens.read)).status, 200);
    assert.equal((await call('DELETE', `${BASE}/maintenance/M1`, undefined, tokens.read)).status, 403);
    assert.equal((await call('PATCH', `${BASE}/maintenance/M1`, { reason: 'y' }, tokens.read)).status, 403);
  });
});
