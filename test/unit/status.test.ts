import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusOf, sweepCutoffs, type NodeStatus } from '../../src/domain/status.js';

const thresholds = { onlineWithinMs: 120_000, offlineAfterMs: 180_000 };
const now = 1_000_000_000;

describe('statusOf (SPEC §3)', () => {
  const cases: Array<[string, NodeStatus, number | null, NodeStatus]> = [
    ['never reported stays initialized', 'initialized', null, 'initialized'],
    ['never reported keeps any status', 'offline', null, 'offline'],
    ['age 0 → online', 'initialized', now, 'online'],
    ['report from the future → online', 'offline', now + 5_000, 'online'],
    ['age exactly the online threshold → online', 'offline', now - 120_000, 'online'],
    ['age 1 ms over the online threshold keeps online', 'online', now - 120_001, 'online'],
    ['age 1 ms over the online threshold keeps offline', 'offline', now - 120_001, 'offline'],
    ['age 1 ms over the online threshold keeps initialized', 'initialized', now - 120_001, 'initialized'],
    ['age exactly the offline threshold keeps online', 'online', now - 180_000, 'online'],
    ['age exactly the offline threshold keeps offline', 'offline', now - 180_000, 'offline'],
    ['age 1 ms over the offline threshold → offline', 'online', now - 180_001, 'offline'],
    ['reported long ago → offline', 'initialized', now - 10 * 180_000, 'offline'],
  ];
  for (const [name, current, lastReport, expected] of cases) {
    it(name, () => {
      assert.equal(statusOf(current, lastReport, now, thresholds), expected);
    });
  }

  it('with equal thresholds there is no band', () => {
    const t = { onlineWithinMs: 5_000, offlineAfterMs: 5_000 };
    assert.equal(statusOf('offline', now - 5_000, now, t), 'online');
    assert.equal(statusOf('online', now - 5_001, now, t), 'offline');
  });

  it('sweepCutoffs gives the boundary report times', () => {
    assert.deepEqual(sweepCutoffs(now, thresholds), { onlineSinceMs: now - 120_000, offlineBeforeMs: now - 180_000 });
  });
});
