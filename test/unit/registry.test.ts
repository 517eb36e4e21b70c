import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AppError } from '../../src/errors.js';
import { pino } from 'pino';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { masterParts } from '../helpers/master-parts.js';

const reg = (name: string, metaData: Record<string, unknown> = { ip: '10.0.0.1' }) => ({ id: null, name, type: 'agent', version: '1', metaData });
const report = { agentTimestampMs: 0, health: {} };

describe('node use cases and the sweeping side', () => {
  let m: TestMaster;
  beforeEach(async () => { m = await makeTestMaster({ onlineSeconds: 2, offlineSeconds: 4 }); });
  afterEach(async () => { await m.close(); });

  it('walks initialized → online → (band) → offline → online with the thresholds', async () => {
    await m.nodes.register(reg('n1'));
    assert.equal((await m.nodes.get('A1')).status, 'initialized');
    await m.sweeping.sweep();
    assert.equal((await m.nodes.get('A1')).status, 'initialized', 'never reported stays initialized');
    assert.equal((await m.nodes.report('A1', report)).status, 'online');
    m.clock.advance(3_000); // in the band
    assert.deepEqual((await m.sweeping.sweep()).transitions, []);
    assert.equal((await m.nodes.get('A1')).status, 'online');
    m.clock.advance(1_001); // past the offline threshold
    assert.deepEqual((await m.sweeping.sweep()).transitions, [{ id: 'A1', from: 'online', to: 'offline' }]);
    assert.equal((await m.nodes.report('A1', report)).status, 'online');
  });

  it('applies the restart grace again when no master swept for longer than the offline threshold (the registry was down)', async () => {
    await m.nodes.register(reg('n1'));
    await m.nodes.report('A1', report);
    m.clock.advance(5_000); // past this process's own start-up grace (4 s)
    await m.sweeping.heartbeat({ intervalMs: 1_000, publishErrors: [] });
    m.clock.advance(4_500); // no sweep recorded for 4.5 s: more than the offline threshold and two intervals
    const held = await m.sweeping.sweep();
    assert.deepEqual(held.transitions, [], 'the fleet could not report either: no node goes offline');
    assert.equal(held.restartGrace, true);
    m.clock.advance(4_001); // the grace (one offline threshold) is over; the same old heartbeat starts no second one
    assert.deepEqual((await m.sweeping.sweep()).transitions, [{ id: 'A1', from: 'online', to: 'offline' }]);
  });

  it('counts the restart grace from the moment the master serves, when its start-up was slow', async () => {
    await m.nodes.register(reg('n1'));
    await m.nodes.report('A1', report);
    m.clock.advance(3_000); // a slow start-up: the HTTP side listens 3 s after the registry was made
    m.sweeping.serving();
    m.clock.advance(3_500); // 6.5 s after the report and the registry's start, 3.5 s after serving (grace 4 s)
    const held = await m.sweeping.sweep();
    assert.deepEqual(held.transitions, [], 'the agents have had 3.5 s of a 4 s grace to report');
    assert.equal(held.restartGrace, true);
    m.clock.advance(501);
    assert.deepEqual((await m.sweeping.sweep()).transitions, [{ id: 'A1', from: 'online', to: 'offline' }]);
  });

  it('on several masters, holds nothing after a failover to a master that was serving, though no sweep was recorded for longer than the threshold', async () => {
    const served = { since: m.clock.now() as number | null };
    const c = await makeTestMaster({ onlineSeconds: 2, offlineSeconds: 4, servedSince: async () => served.since });
    try {
      await c.nodes.register(reg('n1'));
      await c.nodes.report('A1', report);
      c.clock.advance(5_000);
      await c.sweeping.heartbeat({ intervalMs: 1_000, publishErrors: [] });
      // The old leader dies; its lease (longer than the threshold) passes after 6 s; the follower served throughout.
      c.clock.advance(6_000);
      const swept = await c.sweeping.sweep();
      assert.deepEqual(swept.transitions, [{ id: 'A1', from: 'online', to: 'offline' }], 'offline at the first sweep of the new leader');
      assert.equal(swept.restartGrace, false);
    } finally {
      await c.close();
    }
  });

  it('on several masters, holds offline transitions for one threshold from when the masters serve again (all down, or the database out)', async () => {
    const served = { since: null as number | null };
    const c = await makeTestMaster({ onlineSeconds: 2, offlineSeconds: 4, servedSince: async () => served.since });
    try {
      await c.nodes.register(reg('n1'));
      await c.nodes.report('A1', report);
      c.clock.advance(10_000);
      assert.deepEqual((await c.sweeping.sweep()).transitions, [], 'no master serves: nobody could report');
      served.since = c.clock.now() - 1_000; // a master serves again since 1 s
      c.clock.advance(2_999);
      const held = await c.sweeping.sweep();
      assert.deepEqual(held.transitions, [], 'within one threshold of serving again');
      assert.equal(held.restartGrace, true);
      c.clock.advance(2);
      assert.deepEqual((await c.sweeping.sweep()).transitions, [{ id: 'A1', from: 'online', to: 'offline' }]);
    } finally {
      await c.close();
    }
  });

  it('holds every change of labels to the label rules, whoever asks (API, dashboard, command line)', async () => {
    await m.nodes.register(reg('n1'));
    for (const [label, why] of [
      [Array.from({ length: 65 }, (_, i) => `l${i}`), /at most 64 labels/],
      [['ok', ''], /label\/1 must be a non-empty label without a comma/],
      [['a,b'], /without a comma/],
      [['x'.repeat(257)], /longer than 256/],
      [['sur\ud800x'], /not valid Unicode/],
    ] as const) {
      await assert.rejects(m.nodes.configure('A1', { label: [...label] }), (err: AppError) => err.code === 'BAD_REQUEST' && why.test(err.message));
    }
    assert.deepEqual((await m.nodes.get('A1')).label, []);
  });

  it('with collect: false applies and logs a sweep but keeps none of its transitions (the scheduler)', async () => {
    const lines: Array<{ msg: string; nodeId?: string; cause?: string }> = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { msg: string }) });
    const parts = masterParts({ store: m.store, clock: m.clock, thresholds: { onlineWithinMs: 2_000, offlineAfterMs: 4_000 }, logger });
    await parts.register(reg('n1'));
    await parts.report('A1', report);
    m.clock.advance(4_001);
    assert.deepEqual(await parts.sweep({ collect: false }), []);
    assert.equal((await parts.get('A1')).status, 'offline', 'applied');
    assert.deepEqual(lines.filter((l) => l.cause === 'sweep').map((l) => [l.msg, l.nodeId]), [['node status changed', 'A1']], 'logged');
  });

  it('applies no grace when the last sweep is recent (a failover within the lease)', async () => {
    await m.nodes.register(reg('n1'));
    await m.nodes.report('A1', report);
    m.clock.advance(3_000);
    await m.sweeping.heartbeat({ intervalMs: 1_000, publishErrors: [] });
    m.clock.advance(2_500); // the report is 5.5 s old, the last sweep 2.5 s: the registry was serving
    assert.deepEqual((await m.sweeping.sweep()).transitions, [{ id: 'A1', from: 'online', to: 'offline' }]);
  });

  it('moves the publish version (nodes.json, file_sd) only when the online set or an online entry changes', async () => {
    const changes = async () => Number(await m.store.publishVersion());
    await m.nodes.register(reg('n1'));
    assert.equal(await changes(), 0, 'a new node is not online');
    await m.nodes.report('A1', report);
    assert.equal(await changes(), 1, 'initialized → online');
    await m.nodes.report('A1', report);
    assert.equal(await changes(), 1, 'a report of an online node changes nothing published');
    await m.nodes.configure('A1', { config: { a: 1 } });
    assert.equal(await changes(), 1, 'config is not published');
    await m.nodes.configure('A1', { label: ['gpu'] });
    assert.equal(await changes(), 2, 'labels of an online node');
    await m.nodes.configure('A1', { label: ['gpu'] });
    assert.equal(await changes(), 2, 'same labels');
    await m.nodes.register(reg('n1', { ip: '10.0.0.2' }));
    assert.equal(await changes(), 3, 'a new ip of an online node');
    await m.nodes.register(reg('n1', { ip: '10.0.0.2', cpu_number: 8 }));
    assert.equal(await changes(), 3, 'meta_data outside the entry');
    await m.nodes.register(reg('n2'));
    await m.nodes.configure('A2', { label: ['x'] });
    assert.equal(await changes(), 3, 'labels of a node that is not online');
  });

  it('throws typed errors for unknown ids and name mismatches', async () => {
    await m.nodes.register(reg('n1'));
    await assert.rejects(m.nodes.get('A2'), (e: AppError) => e.code === 'NODE_NOT_FOUND');
    await assert.rejects(m.nodes.report('A2', report), (e: AppError) => e.code === 'NODE_NOT_FOUND');
    await assert.rejects(m.nodes.configure('A2', { label: [] }), (e: AppError) => e.code === 'NODE_NOT_FOUND');
    await assert.rejects(m.nodes.register({ ...reg('n2'), id: 'A2' }), (e: AppError) => e.code === 'NODE_NOT_FOUND');
    await assert.rejects(m.nodes.register({ ...reg('n2'), id: 'A1' }), (e: AppError) => e.code === 'NAME_MISMATCH');
  });

  it('totals the statistics', async () => {
    await m.nodes.register(reg('a'));
    await m.nodes.register(reg('b'));
    await m.nodes.report('A2', report);
    assert.deepEqual(await m.nodes.statistics(), {
      total: 2,
      status_statistics: [{ status: 'initialized', count: 1 }, { status: 'online', count: 1 }],
    });
  });
});
