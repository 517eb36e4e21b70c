// Notifications through the API and the leader's delivery pass (SPEC §15), with a manual clock and an
// injected attempt that records what would have been sent: endpoints (secret once, bad input), messages
// of events with the node, the retry schedule keeping one id, digests of a burst, 410, dead letters and
// replay, the quiet rules (maintenance, its end-of-window rule, flapping), selectors, Alertmanager's alerts.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { registrationBody } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { strictJson } from '../helpers/strict-json.js';
import type { EndpointRecord } from '../../src/storage/core/notifications.js';

const BASE = '/api/v1/master';
let m: TestMaster;
afterEach(async () => { await m.close(); });

interface Sent { endpoint: string; id: string; body: any; atMs: number }
/** A receiver answering `status()` for each attempt, recording it. */
function receiver(status: (n: number) => number = () => 204) {
  const sent: Sent[] = [];
  const attempt = async (e: EndpointRecord, msg: { id: string; body: string }, atMs: number) => {
    sent.push({ endpoint: e.id, id: msg.id, body: JSON.parse(msg.body), atMs });
    const s = status(sent.length);
    return { status: s, answer: String(s) };
  };
  return { sent, attempt };
}

async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown) {
  const res = await m.app.inject({ method, url, headers: body ? { 'content-type': 'application/json' } : {}, payload: body ? JSON.stringify(body) : undefined });
  return { status: res.statusCode, body: res.rawPayload.length > 0 ? strictJson(res.rawPayload) : null };
}
const T0 = '2025-09-24T03:20:00Z';

/** Registers `n` nodes reporting at the clock's time. */
async function fleet(n: number, labels: Record<number, string[]> = {}) {
  for (let i = 1; i <= n; i++) {
    await call('POST', `${BASE}/nodes`, registrationBody(`n${i}`));
    if (labels[i]) await call('PUT', `${BASE}/nodes/A${i}/config`, { label: labels[i] });
    await call('PUT', `${BASE}/nodes/A${i}/status`, { timestamp: T0, health: {} });
  }
}
/** Every node silent for longer than the offline threshold, then a sweep. */
async function allOffline() {
  m.clock.advance(200_000);
  await m.sweeping.heartbeat({ intervalMs: 30_000, publishErrors: [] });
  await m.sweeping.sweep({ collect: false });
}
/** Passes until the attempts in flight ended. */
async function pass(times = 1) {
  for (let i = 0; i < times; i++) {
    await m.delivery.runOnce();
    await m.delivery.settled();
  }
}

describe('notification endpoints (SPEC §15)', () => {
  it('creates a webhook endpoint with the default events; its secret is shown once, never again', async () => {
    m = await makeTestMaster();
    const res = await call('POST', `${BASE}/notifications/endpoints`, { name: 'ops', url: 'https://ops:pa55@hooks.example/argus' });
    assert.equal(res.status, 201);
    assert.match(res.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual({ ...res.body, secret: undefined, created_at: undefined }, {
      id: 'E1', name: 'ops', url: 'https://hooks.example/argus', kind: 'webhook', events: ['node.status', 'node.health', 'brake.engaged', 'brake.released'],
      selector: '', enabled: true, disabled_reason: null, secret: undefined, created_at: undefined,
    });
    const shown = JSON.stringify([(await call('GET', `${BASE}/notifications/endpoints/E1`)).body, (await call('GET', `${BASE}/notifications/endpoints`)).body]);
    assert.ok(!shown.includes(res.body.secret.slice(6, 20)) && !shown.includes('pa55'), 'neither the secret nor the password is shown');
  });

  it('refuses a bad URL, event type, kind or selector with a 400 saying what was expected; an unknown ID is a 404', async () => {
    m = await makeTestMaster();
    const post = (body: object) => call('POST', `${BASE}/notifications/endpoints`, { name: 'x', url: 'http://127.0.0.1:9/h', ...body });
    assert.match((await post({ url: 'not a url' })).body.error, /url: not an absolute URL/);
    assert.match((await post({ url: 'ftp://h/x' })).body.error, /url: must be http or https/);
    assert.match((await post({ events: ['node.exploded'] })).body.error, /unknown event type "node.exploded"/);
    assert.match((await post({ kind: 'pager' })).body.error, /kind: one of webhook, alertmanager/);
    assert.match((await post({ selector: 'rack in (7' })).body.error, /selector: /);
    assert.equal((await post({ selector: 'rack in (7' })).status, 400);
    assert.equal((await call('GET', `${BASE}/notifications/endpoints`)).body.length, 0, 'nothing stored');
    assert.equal((await call('PATCH', `${BASE}/notifications/endpoints/E9`, { enabled: false })).status, 404);
    assert.equal((await call('DELETE', `${BASE}/notifications/endpoints/E9`)).status, 404);
  });
});

describe('delivery (SPEC §15)', () => {
  it('sends a node going offline as a message with the event and the node, once', async () => {
    const r = receiver();
    m = await makeTestMaster({ attempt: r.attempt });
    await fleet(1, { 1: ['rack=7'] });
    await call('POST', `${BASE}/notifications/endpoints`, { name: 'ops', url: 'http://127.0.0.1:9/h' });
    await allOffline();
    await pass(3);
    assert.equal(r.sent.length, 1);
    const { id, body } = r.sent[0]!;
    assert.match(id, /^msg_E1_\d+$/);
    assert.equal(body.type, 'node.status');
    assert.deepEqual({ ...body.data.event, id: 0, time: '' }, { id: 0, time: '', type: 'node.status', node_id: 'A1', from: 'online', to: 'offline', cause: 'sweep' });
    assert.deepEqual([body.data.node.id, body.data.node.status, body.data.node.label], ['A1', 'offline', ['rack=7']]);
    assert.equal(body.data.node.meta_data.hostname, registrationBody('n1').meta_data.hostname);
    const [d] = (await call('GET', `${BASE}/notifications/deliveries?state=delivered`)).body;
    assert.deepEqual([d.id, d.state, d.attempts, d.last_answer], [id, 'delivered', 1, '204']);
  });

  it('retries a failed message after 5 s, then 30 s, with the same id, and delivers it', async () => {
    const r = receiver((n) => (n < 3 ? 503 : 200));
    m = await makeTestMaster({ attempt: r.attempt });
    await fleet(1);
    await call('POST', `${BASE}/notifications/endpoints`, { name: 'ops', url: 'http://127.0.0.1:9/h' });
    await allOffline();
    await pass();
    m.clock.advance(4_900);
    await pass();
    assert.equal(r.sent.length, 1, 'not before 5 s');
    m.clock.advance(200);
    await pass();
    m.clock.advance(29_000);
    await pass();
    assert.equal(r.sent.length, 2, 'not before 30 s more');
    m.clock.advance(1_100);
    await pass();
    assert.deepEqual(r.sent.map((s) => s.id), Array(3).fill(r.sent[0]!.id), 'one id across attempts');
    assert.deepEqual(r.sent.map((s) => s.atMs - r.sent[0]!.atMs), [0, 5_100, 35_200]);
    const [d] = (await call('GET', `${BASE}/notifications/deliveries`)).body;
    assert.deepEqual([d.state, d.attempts, d.last_answer], ['delivered', 3, '200']);
  });

  it('turns a burst beyond NOTIFY_MAX_PER_MINUTE into one digest with counts, not one request each', async () => {
    const r = receiver();
    m = await makeTestMaster({ attempt: r.attempt, perMinute: 5 });
    await fleet(40);
    await call('POST', `${BASE}/notifications/endpoints`, { name: 'ops', url: 'http://127.0.0.1:9/h' });
    // With the brake on, 40 nodes going at once would be held: this fleet loses them one sweep at a time.
    await allOffline();
    await pass(2);
    assert.equal(r.sent.length, 1);
    const digest = r.sent[0]!.body;
    assert.equal(digest.type, 'digest');
    assert.equal(digest.data.total, 40);
    assert.deepEqual(digest.data.counts, { types: { 'node.status': 40 }, statuses: { offline: 40 } });
    assert.deepEqual(digest.data.events.map((e: any) => e.node.id).slice(0, 3), ['A1', 'A2', 'A3']);
    const folded = await call('GET', `${BASE}/notifications/deliveries?state=folded&limit=1000`);
    assert.equal(folded.body.length, 40, JSON.stringify(folded).slice(0, 300));
  });

  it('a 410 Gone disables the endpoint and says why; nothing more is sent to it', async () => {
    const r = receiver(() => 410);
    m = await makeTestMaster({ attempt: r.attempt });
    await fleet(2);
    await call('POST', `${BASE}/notifications/endpoints`, { name: 'ops', url: 'http://127.0.0.1:9/h', events: ['node.status', 'node.health'] });
    await call('PUT', `${BASE}/nodes/A1/status`, { timestamp: T0, health: { gpu: { status: 'failed' } } });
    await pass(3);
    const e = (await call('GET', `${BASE}/notifications/endpoints/E1`)).body;
    assert.equal(e.enabled, false);
    assert.match(e.disabled_reason, /410 Gone/);
    await allOffline();
    await pass(3);
    assert.equal(r.sent.length, 1);
  });

  it('a message not delivered within NOTIFY_MAX_AGE_HOURS is dead, listed with its last answer, and a retry sends it again with its id', async () => {
    let up = false;
    const r = receiver(() => (up ? 200 : 500));
    m = await makeTestMaster({ attempt: r.attempt, maxAgeHours: 0.05 }); // 3 minutes: attempts at 0, 5 s, 35 s, 155 s
    await fleet(1);
    await call('POST', `${BASE}/notifications/endpoints`, { name: 'ops', url: 'http://127.0.0.1:9/h' });
    await allOffline();
    for (let s = 0; s < 400; s += 5) {
      await pass();
      m.clock.advance(5_000);
    }
    assert.equal(r.sent.length, 4);
    const [dead] = (await call('GET', `${BASE}/notifications/deliveries?state=dead`)).body;
    assert.deepEqual([dead.attempts, dead.last_answer, dead.next_attempt_at], [4, '500', null]);
    up = true;
    assert.equal((await call('POST', `${BASE}/notifications/deliveries/${dead.id}/retry`)).status, 202);
    await pass();
    assert.equal(r.sent.at(-1)!.id, dead.id);
    assert.equal((await call('GET', `${BASE}/notifications/deliveries/${dead.id}`)).body.state, 'delivered');
    assert.equal((await call('POST', `${BASE}/notifications/deliveries/${dead.id}/retry`)).status, 409);
  });

  it('stays quiet for a node in maintenance, and at the end of the window tells only of a node still down', async () => {
    const r = receiver();
    m = await makeTestMaster({ attempt: r.attempt });
    await fleet(3);
    await call('POST', `${BASE}/notifications/endpoints`, { name: 'ops', url: 'http://127.0.0.1:9/h' });
    await call('POST', `${BASE}/maintenance`, { nodes: ['A1', 'A2'], reason: 'reboot', duration_seconds: 600 });
    await m.maintenancePass.runOnce();
    await allOffline(); // A1, A2 (in maintenance) and A3 go offline
    await call('PUT', `${BASE}/nodes/A2/status`, { timestamp: T0, health: {} }); // A2 came back
    await pass(2);
    assert.deepEqual(r.sent.map((s) => s.body.data.event.node_id), ['A3']);
    m.clock.advance(600_000);
    await m.maintenancePass.runOnce();
    await pass(2);
    const last = r.sent.at(-1)!.body;
    assert.equal(r.sent.length, 2, 'A1 (still down) is told, A2 (came back) is not');
    assert.deepEqual([last.type, last.data.event.node_id, last.data.event.status, last.data.event.entered_status], ['node.maintenance', 'A1', 'offline', 'online']);
  });

  it('a flapping node sends node.flapping once and none of its transitions', async () => {
    const r = receiver();
    m = await makeTestMaster({ attempt: r.attempt, flap: { transitions: 4, windowMs: 3_600_000 } });
    await fleet(1);
    await call('POST', `${BASE}/notifications/endpoints`, { name: 'ops', url: 'http://127.0.0.1:9/h' });
    for (let i = 0; i < 5; i++) {
      await allOffline();
      await call('PUT', `${BASE}/nodes/A1/status`, { timestamp: T0, health: {} });
    }
    await pass(2);
    const types = r.sent.flatMap((s) => (s.body.type === 'digest' ? s.body.data.events.map((e: any) => e.event.type) : [s.body.type]));
    assert.equal(types.filter((t) => t === 'node.flapping').length, 1);
    const afterFlap = types.slice(types.indexOf('node.flapping'));
    assert.deepEqual(afterFlap, ['node.flapping'], 'no transition after it started flapping');
  });

  it("an endpoint's selector picks the nodes it is told of", async () => {
    const r = receiver();
    m = await makeTestMaster({ attempt: r.attempt });
    await fleet(3, { 2: ['rack=7'] });
    await call('POST', `${BASE}/notifications/endpoints`, { name: 'rack7', url: 'http://127.0.0.1:9/h', selector: 'rack=7' });
    await allOffline();
    await pass(2);
    assert.deepEqual(r.sent.map((s) => s.body.data.event.node_id), ['A2']);
  });

  it('sends a test message on request, signed like any other', async () => {
    const r = receiver();
    m = await makeTestMaster({ attempt: r.attempt });
    await call('POST', `${BASE}/notifications/endpoints`, { name: 'ops', url: 'http://127.0.0.1:9/h' });
    const res = await call('POST', `${BASE}/notifications/endpoints/E1/test`);
    assert.equal(res.status, 202);
    await pass();
    assert.deepEqual([r.sent[0]!.id, r.sent[0]!.body.type, r.sent[0]!.body.data.endpoint], [res.body.id, 'test', 'E1']);
  });

  it("an Alertmanager endpoint gets ArgusNodeOffline firing with the node's labels, and resolved when it comes back", async () => {
    const r = receiver();
    m = await makeTestMaster({ attempt: r.attempt });
    await fleet(1, { 1: ['rack=7', 'gpu'] });
    await call('POST', `${BASE}/notifications/endpoints`, { name: 'am', url: 'http://127.0.0.1:9093', kind: 'alertmanager' });
    await allOffline();
    await pass();
    const fired = r.sent.filter((s) => s.id.startsWith('msg_'));
    assert.equal(fired.length, 1);
    const [alert] = fired[0]!.body;
    assert.deepEqual(alert.labels, { alertname: 'ArgusNodeOffline', node_id: 'A1', name: 'n1', hostname: 'n1', ip: '10.0.0.10', user: 'testuser', env: 'dev', instance: 'testinst', rack: '7' });
    assert.equal(alert.endsAt, undefined);
    assert.equal(alert.generatorURL, 'http://argus.test/ui/nodes/A1');
    await call('PUT', `${BASE}/nodes/A1/status`, { timestamp: T0, health: {} });
    await pass();
    const resolved = r.sent.filter((s) => s.id.startsWith('msg_')).at(-1)!.body[0];
    assert.deepEqual([resolved.labels, typeof resolved.endsAt], [alert.labels, 'string']);
  });
});
