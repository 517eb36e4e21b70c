// Restart grace, the mass-offline brake and readiness: the sweeping side, the node use cases and
// readiness over one store, with a manual clock.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createManualClock } from '../../src/clock.js';
import { rfc3339 } from '../../src/domain/time.js';
import pino from 'pino';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import type { OfflineBrake } from '../../src/sweeping/sweeping.js';
import { masterParts, type MasterParts } from '../helpers/master-parts.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import type { NodeStore } from '../../src/storage/store.js';
import { tempDir } from '../helpers/fixtures.js';

const thresholds = { onlineWithinMs: 120_000, offlineAfterMs: 180_000 };
const report = { agentTimestampMs: 0, health: {} };

describe('sweep safety', () => {
  let t: ReturnType<typeof tempDir>;
  let store: NodeStore;
  let clock: ReturnType<typeof createManualClock>;
  beforeEach(() => {
    t = tempDir();
    store = openSqliteStore({ path: join(t.dir, 'db.sqlite3') });
    clock = createManualClock();
  });
  afterEach(async () => {
    await store.close();
    t.cleanup();
  });
  const make = (offlineBrake: OfflineBrake | null = null): MasterParts => masterParts({ store, clock, thresholds, offlineBrake });
  const fleet = async (r: MasterParts, n: number) => {
    for (let i = 0; i < n; i++) {
      const { node } = await r.register({ id: null, name: `n${i}`, type: 'agent', version: '1', metaData: {} });
      await r.report(node.id, report);
    }
  };
  const countOnline = async () => (await store.statistics()).find((c) => c.status === 'online')?.count ?? 0;

  describe('restart grace', () => {
    it('marks no node offline before the offline threshold has passed since the start', async () => {
      const before = make();
      await fleet(before, 3);
      clock.advance(3_600_000); // the master was down for an hour
      const after = make(); // restarted
      assert.deepEqual(await after.sweep(), []);
      assert.equal(after.held().restartGrace, true);
      clock.advance(180_000); // exactly the offline threshold since the start: still in grace
      assert.deepEqual(await after.sweep(), []);
      assert.equal(await countOnline(), 3);
      clock.advance(1);
      assert.equal((await after.sweep()).length, 3, 'after the grace the stale nodes go offline');
      assert.equal(after.held().restartGrace, false);
    });

    it('still brings nodes online during the grace', async () => {
      const r = make();
      const { node } = await r.register({ id: null, name: 'x', type: 'agent', version: '1', metaData: {} });
      assert.equal((await r.report(node.id, report)).status, 'online');
    });
  });

  describe('mass-offline brake', () => {
    const brake: OfflineBrake = { ratio: 0.5, minNodes: 10, maxHoldMs: 600_000 };
    const pastGrace = async (r: MasterParts, n: number) => {
      await fleet(r, n);
      clock.advance(180_001); // past the grace, and every report is now just too old
    };

    it('holds the transitions when more than the share and at least the minimum would go offline', async () => {
      const r = make(brake);
      await pastGrace(r, 20);
      assert.deepEqual(await r.sweep(), []);
      assert.equal(r.held().brakeHeld, 20);
      assert.equal(await countOnline(), 20);
    });

    it('explains itself: a state every process can read, events when it engages and when an admin releases it', async () => {
      const r = make(brake);
      await pastGrace(r, 20);
      assert.deepEqual(await r.brake(), { state: 'released', held: 0, since: null, releases_at: null });
      await r.sweep();
      const since = clock.now();
      assert.deepEqual(await r.brake(), { state: 'holding', held: 20, since: rfc3339(since), releases_at: rfc3339(since + 600_000) });
      clock.advance(30_000);
      assert.deepEqual(await r.sweep(), [], 'still holding');
      await r.releaseBrake();
      clock.advance(30_000);
      assert.equal((await r.sweep()).length, 20, 'the held transitions go through at the next sweep');
      assert.deepEqual(await r.brake(), { state: 'released', held: 0, since: null, releases_at: null });
      const brakeEvents = (await store.events({ after: 0, limit: 1000, types: ['brake.engaged', 'brake.released'], nodeIds: [] })).map((e) => JSON.parse(e.json));
      assert.deepEqual(brakeEvents.map((e) => [e.type, e.held, e.cause, e.node_id]), [['brake.engaged', 20, undefined, undefined], ['brake.released', 20, 'admin', undefined]]);
    });

    it('lets a sweep below the minimum count through', async () => {
      const r = make(brake);
      await fleet(r, 9);
      clock.advance(180_001);
      assert.equal((await r.sweep()).length, 9);
      assert.equal(r.held().brakeHeld, 0);
    });

    it('lets a sweep at or below the share through', async () => {
      const r = make(brake);
      await fleet(r, 10); // these will be stale
      clock.advance(100_000);
      for (let i = 10; i < 20; i++) {
        const { node } = await r.register({ id: null, name: `fresh${i}`, type: 'agent', version: '1', metaData: {} });
        await r.report(node.id, report);
      }
      clock.advance(80_001); // the first 10 are stale: 10 of 20 online = exactly 50%
      assert.equal((await r.sweep()).length, 10);
    });

    it('releases when reports return, applying what is left', async () => {
      const r = make(brake);
      await pastGrace(r, 20);
      await r.sweep();
      for (let i = 1; i <= 15; i++) await r.report(`A${i}`, report); // most of the fleet is back
      const released = await r.sweep();
      assert.deepEqual(released.map((x) => x.id), ['A16', 'A17', 'A18', 'A19', 'A20']);
      assert.equal(r.held().brakeHeld, 0);
    });

    it('releases after the maximum hold time', async () => {
      const r = make(brake);
      await pastGrace(r, 20);
      await r.sweep();
      clock.advance(599_999);
      assert.deepEqual(await r.sweep(), []);
      clock.advance(1);
      assert.equal((await r.sweep()).length, 20);
      assert.equal(await countOnline(), 0);
    });

    it('does nothing when turned off', async () => {
      const r = make(null);
      await pastGrace(r, 20);
      assert.equal((await r.sweep()).length, 20);
    });
  });

  describe('readiness', () => {
    it('is not ready before the first heartbeat, ready after, and not ready when the sweeper is late', async () => {
      const r = make();
      assert.deepEqual(await r.readiness(), { ready: false, error: 'the status sweeper has not run yet', warnings: [] });
      await r.heartbeat({ intervalMs: 30_000, publishErrors: [] });
      assert.deepEqual(await r.readiness(), { ready: true, warnings: [] });
      clock.advance(61_000);
      assert.deepEqual(await r.readiness(), { ready: true, warnings: [] }, 'two intervals and a second is still on time');
      clock.advance(1);
      const late = await r.readiness();
      assert.equal(late.ready, false);
      assert.match(late.ready ? '' : late.error, /sweeper is late/);
    });

    it('warns about a file that cannot be written and a held mass offline', async () => {
      const r = make({ ratio: 0.5, minNodes: 1, maxHoldMs: 600_000 });
      await fleet(r, 2);
      clock.advance(180_001);
      await r.sweep();
      await r.heartbeat({ intervalMs: 30_000, publishErrors: [{ file: 'nodes.json', error: 'EACCES: permission denied' }] });
      assert.deepEqual(await r.readiness(), {
        ready: true,
        warnings: [
          { message: 'nodes.json cannot be written: EACCES: permission denied', summary: 'nodes.json cannot be written' },
          { message: 'mass-offline brake: holding 2 offline transitions', summary: 'mass-offline brake: holding 2 offline transitions' },
        ],
      });
    });

    it('warns while writes fail, in this process or another, since the earliest failure', async () => {
      let failing = [{ code: 'SQLITE_FULL', sinceMs: Date.UTC(2026, 11, 1, 8, 0, 5) }, { code: 'SQLITE_FULL', sinceMs: Date.UTC(2026, 11, 1, 8, 0, 2) }];
      const r = masterParts({ store, clock, thresholds, writesFailing: () => failing });
      await r.heartbeat({ intervalMs: 30_000, publishErrors: [] });
      const text = 'database writes failing: SQLITE_FULL since 2026-12-01T08:00:02Z';
      assert.deepEqual(await r.readiness(), { ready: true, warnings: [{ message: text, summary: text }] });
      failing = [];
      assert.deepEqual(await r.readiness(), { ready: true, warnings: [] }, 'gone once writes succeed again');
    });

    it('is not ready when the database fails', async () => {
      const r = make();
      await store.close();
      const res = await r.readiness();
      assert.equal(res.ready, false);
      assert.match(res.ready ? '' : res.error, /database unavailable/);
    });
  });

  describe('logging a sweep', () => {
    const capture = () => {
      const lines: Array<Record<string, unknown>> = [];
      const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
      return { lines, logger };
    };
    const transitionsCounted = async (metrics: Metrics) =>
      (await metrics.statusTransitions.get()).values.filter((v) => v.labels.cause === 'sweep').reduce((a, v) => a + v.value, 0);

    for (const [nodes, expectLines] of [[3, 3], [25, 1]] as const) {
      it(`logs ${nodes} transitions in ${expectLines} line(s), and counts every one`, async () => {
        const { lines, logger } = capture();
        const metrics = createMetrics({ nodeCounts: () => store.statistics(), defaultMetrics: false });
        const r = masterParts({ store, clock, thresholds, logger, metrics, offlineBrake: null });
        await fleet(r, nodes);
        clock.advance(180_001);
        assert.equal((await r.sweep()).length, nodes);
        const sweepLines = lines.filter((l) => l.cause === 'sweep');
        assert.equal(sweepLines.length, expectLines);
        const ids = sweepLines.flatMap((l) => (l.nodeIds as string[] | undefined) ?? [l.nodeId as string]);
        assert.deepEqual(ids, Array.from({ length: nodes }, (_, i) => `A${i + 1}`), 'every node ID is in the log');
        if (expectLines === 1) {
          assert.equal(sweepLines[0]!.msg, 'node statuses changed');
          assert.deepEqual(sweepLines[0]!.transitions, [{ from: 'online', to: 'offline', count: nodes }]);
        }
        assert.equal(await transitionsCounted(metrics), nodes);
      });
    }
  });
});
