// Notifications' pure parts (SPEC §15): Standard Webhooks signing against the specification's published
// test vector, URL credentials, the retry schedule and the maximum age, digests of a burst, and which
// events reach which endpoint (types, selector, maintenance and flapping's quiet, the end-of-window rule).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextAttemptMs, notifies, planSends, SentWindow, type Endpoint, type NotifiableEvent } from '../../src/domain/notifications.js';
import { parseSelector } from '../../src/domain/selector.js';
import { newSecret, sign, splitCredentials } from '../../src/notifications/send.js';
import type { NodeRecord } from '../../src/domain/node.js';

describe('Standard Webhooks signing', () => {
  it("reproduces the specification's test vector", () => {
    assert.equal(sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
  it('makes secrets of whsec_ and 32 random bytes, each different', () => {
    const a = newSecret();
    assert.match(a, /^whsec_/);
    assert.equal(Buffer.from(a.slice(6), 'base64').length, 32);
    assert.notEqual(a, newSecret());
  });
  it('sends URL credentials as Basic authentication and keeps them out of the URL', () => {
    assert.deepEqual(splitCredentials('https://ops:p%40ss@hooks.example/argus?x=1'), { url: 'https://hooks.example/argus?x=1', authorization: `Basic ${Buffer.from('ops:p@ss').toString('base64')}` });
    assert.deepEqual(splitCredentials('http://127.0.0.1:9093'), { url: 'http://127.0.0.1:9093/', authorization: null });
  });
});

describe('retries and age', () => {
  it('waits 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h, until the message is too old', () => {
    const created = 0;
    const day = 86_400_000;
    const waits = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => nextAttemptMs(n, 0, created, day));
    assert.deepEqual(waits, [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 7_200_000]);
    assert.equal(nextAttemptMs(9, day - 1_000, created, day), null, 'past the maximum age: dead');
  });
});

describe('digests', () => {
  const fresh = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `m${i}`, attempts: 0, events: 1 }));
  it('sends what fits the minute one by one, at most the free slots', () => {
    assert.deepEqual(planSends(fresh(3), 30, 4), { send: ['m0', 'm1', 'm2'], fold: [] });
    assert.deepEqual(planSends(fresh(10), 30, 4).send, ['m0', 'm1', 'm2', 'm3']);
  });
  it('folds every fresh message into digests of at most 1,000 when more are due than the minute allows', () => {
    const plan = planSends(fresh(2_500), 30, 4);
    assert.deepEqual(plan.fold.map((g) => g.length), [1_000, 1_000, 500]);
    assert.deepEqual(plan.send, []);
  });
  it('never folds a message that was already tried (it keeps its id)', () => {
    const due = [{ id: 'r', attempts: 2, events: 1 }, ...fresh(40)];
    const plan = planSends(due, 30, 4);
    assert.deepEqual(plan.send, ['r']);
    assert.ok(!plan.fold.flat().includes('r'));
  });
  it('counts the requests of the last minute per endpoint', () => {
    const w = new SentWindow(2);
    w.record('E1', 0);
    w.record('E1', 1_000);
    assert.equal(w.budget('E1', 30_000), 0);
    assert.equal(w.budget('E2', 30_000), 2);
    assert.equal(w.budget('E1', 60_500), 1);
  });
});

describe('which events reach an endpoint', () => {
  const endpoint = (over: Partial<Endpoint> = {}): Endpoint => ({
    id: 'E1', name: 'ops', url: 'http://h', kind: 'webhook', events: ['node.status', 'node.health', 'brake.engaged', 'brake.released'], selectorText: '', selector: [],
    enabled: true, disabledReason: null, createdMs: 0, fromEvent: 0, ...over,
  });
  const ev = (type: NotifiableEvent['type'], fields: Record<string, unknown>, nodeId: string | null = 'A1', id = 10): NotifiableEvent => ({ id, timeMs: 0, type, nodeId, fields });
  const node = { id: 'A1', name: 'n', type: 'agent', version: '1', status: 'offline', label: ['rack=7'], metaData: {}, health: {}, healthState: 'healthy', flapping: false, maintenance: null } as unknown as NodeRecord;

  it('by type, and not before the endpoint existed', () => {
    assert.equal(notifies(endpoint(), ev('node.status', { from: 'online', to: 'offline' }), node), true);
    assert.equal(notifies(endpoint(), ev('node.config', { changed: ['label'] }), node), false);
    assert.equal(notifies(endpoint({ fromEvent: 10 }), ev('node.status', { from: 'online', to: 'offline' }), node), false);
    assert.equal(notifies(endpoint({ enabled: false }), ev('node.status', { from: 'online', to: 'offline' }), node), false);
  });
  it('quiet for a node in maintenance; at the end of its window only if its status differs from when it entered', () => {
    assert.equal(notifies(endpoint(), ev('node.status', { from: 'online', to: 'offline', maintenance: 'M1' }), node), false);
    assert.equal(notifies(endpoint(), ev('node.maintenance', { window: 'M1', in: false, status: 'offline', entered_status: 'online' }), node), true);
    assert.equal(notifies(endpoint(), ev('node.maintenance', { window: 'M1', in: false, status: 'online', entered_status: 'online' }), node), false);
    assert.equal(notifies(endpoint(), ev('node.maintenance', { window: 'M1', in: true, status: 'online' }), node), false);
  });
  it('a flapping node: node.flapping once, then none of its transitions', () => {
    assert.equal(notifies(endpoint(), ev('node.flapping', { flapping: true }), node), true);
    assert.equal(notifies(endpoint(), ev('node.status', { from: 'online', to: 'offline', flapping: true }), node), false);
    assert.equal(notifies(endpoint(), ev('node.flapping', { flapping: false }), node), false);
  });
  it('by selector for node events; fleet-wide events pass', () => {
    const rack8 = endpoint({ selectorText: 'rack=8', selector: parseSelector('rack=8') });
    assert.equal(notifies(rack8, ev('node.status', { from: 'online', to: 'offline' }), node), false);
    assert.equal(notifies(endpoint({ selector: parseSelector('rack=7') }), ev('node.status', { from: 'online', to: 'offline' }), node), true);
    assert.equal(notifies(rack8, ev('brake.engaged', { held: 40 }, null), null), true);
  });
});
