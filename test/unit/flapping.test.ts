// Flapping (SPEC §9.3): the pure rule, and reports and sweeps over a real store with a manual clock.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createManualClock } from '../../src/clock.js';
import { isFlapTransition, isFlapping, recordFlapTransition } from '../../src/domain/flapping.js';
import { masterParts } from '../helpers/master-parts.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import { tempDir } from '../helpers/fixtures.js';

const s = { transitions: 3, windowMs: 60_000 };

describe('flapping rule', () => {
  it('counts only online/offline transitions', () => {
    assert.equal(isFlapTransition('online', 'offline'), true);
    assert.equal(isFlapTransition('offline', 'online'), true);
    assert.equal(isFlapTransition('initialized', 'online'), false);
  });
  it('flaps at the n-th transition within the window, not with fewer or slower ones', () => {
    let times: number[] = [];
    const flaps: boolean[] = [];
    for (const t of [0, 10_000, 60_000, 125_000]) {
      const r = recordFlapTransition(times, t, s);
      times = r.timesMs;
      flaps.push(r.flapping);
    }
    assert.deepEqual(flaps, [false, false, true, false], 'the third within 60 s flaps; the fourth, 115 s after the second, does not');
    assert.deepEqual(times, [10_000, 60_000, 125_000], 'only the latest n are kept');
    assert.equal(isFlapping([0, 10_000, 60_000], 60_000, s), true);
    assert.equal(isFlapping([0, 10_000, 60_000], 60_001, s), false);
  });
});

describe('flapping through reports and sweeps', () => {
  it('flags a node at the n-th transition with an event, changes no status, and clears it once the window passed', async () => {
    const t = tempDir();
    const store = openSqliteStore({ path: join(t.dir, 'db.sqlite3') });
    const clock = createManualClock();
    const r = masterParts({ store, clock, thresholds: { onlineWithinMs: 2_000, offlineAfterMs: 4_000 }, flap: s });
    clock.advance(5_000); // past the restart grace
    const { node } = await r.register({ id: null, name: 'n', type: 'agent', version: '1', metaData: {} });
    const report = () => r.report(node.id, { agentTimestampMs: clock.now(), health: {} });
    await report(); // initialized → online: not a flap transition
    for (let i = 0; i < 2; i++) {
      clock.advance(5_000);
      await r.sweep(); // online → offline (sweep)
      await report(); // offline → online (report)
    }
    const flagged = await r.get(node.id);
    assert.equal(flagged.flapping, true);
    assert.equal(flagged.status, 'online', 'flapping changes no status');
    const flapEvents = async () => (await store.events({ after: 0, limit: 100, types: ['node.flapping'], nodeIds: [] })).map((e) => JSON.parse(e.json).flapping);
    assert.deepEqual(await flapEvents(), [true]);
    clock.advance(30_000);
    await report();
    assert.equal((await r.get(node.id)).flapping, true, 'within the window');
    clock.advance(60_000);
    await report();
    await r.sweep();
    assert.equal((await r.get(node.id)).flapping, false);
    assert.deepEqual(await flapEvents(), [true, false]);
    await store.close();
    t.cleanup();
  });
});
