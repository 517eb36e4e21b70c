// The sweep policy as a pure function: restart grace and the mass-offline brake, table-driven, no store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideSweep, needsPreview, type BrakeChange, type HoldState, type SweepPolicy } from '../../src/domain/sweep-policy.js';

const brake = { ratio: 0.5, minNodes: 10, maxHoldMs: 600_000 };
const policy: SweepPolicy = { graceUntilMs: 1_000, brake };
const released: HoldState = { brakeSinceMs: null };

describe('sweep policy', () => {
  const rows: Array<[string, HoldState, { goingOffline: number; online: number } | null, number, { holdOffline: boolean; brakeHeld: number; restartGrace: boolean; next: HoldState; notes: string[]; brakeChange: BrakeChange | null }]> = [
    ['holds every offline transition during the restart grace', released, null, 1_000, { holdOffline: true, brakeHeld: 0, restartGrace: true, next: released, notes: [], brakeChange: null }],
    ['lets a small sweep through', released, { goingOffline: 9, online: 10 }, 2_000, { holdOffline: false, brakeHeld: 0, restartGrace: false, next: released, notes: [], brakeChange: null }],
    ['lets half the fleet through (the share must be exceeded)', released, { goingOffline: 10, online: 20 }, 2_000, { holdOffline: false, brakeHeld: 0, restartGrace: false, next: released, notes: [], brakeChange: null }],
    ['engages on more than the share and at least the minimum', released, { goingOffline: 11, online: 20 }, 2_000, { holdOffline: true, brakeHeld: 11, restartGrace: false, next: { brakeSinceMs: 2_000 }, notes: ['mass offline: holding offline transitions and nodes.json'], brakeChange: { type: 'brake.engaged', held: 11 } }],
    ['keeps holding, quietly, within the hold time', { brakeSinceMs: 2_000 }, { goingOffline: 12, online: 20 }, 601_999, { holdOffline: true, brakeHeld: 12, restartGrace: false, next: { brakeSinceMs: 2_000 }, notes: [], brakeChange: null }],
    ['releases when the hold time is over', { brakeSinceMs: 2_000 }, { goingOffline: 12, online: 20 }, 602_000, { holdOffline: false, brakeHeld: 0, restartGrace: false, next: released, notes: ['mass offline: hold time over; releasing the offline transitions'], brakeChange: { type: 'brake.released', held: 12, cause: 'timeout' } }],
    ['releases when reports returned', { brakeSinceMs: 2_000 }, { goingOffline: 1, online: 20 }, 10_000, { holdOffline: false, brakeHeld: 0, restartGrace: false, next: released, notes: ['mass offline over (reports returned); offline transitions resume'], brakeChange: { type: 'brake.released', held: 1, cause: 'reports' } }],
  ];
  for (const [title, prev, preview, now, expected] of rows) {
    it(title, () => {
      const d = decideSweep(prev, preview, now, policy);
      assert.deepEqual({ ...d, notes: d.notes.map((n) => n.msg) }, expected);
    });
  }

  it('lets the held transitions through when an admin released the brake, and only then', () => {
    const d = decideSweep({ brakeSinceMs: 2_000 }, { goingOffline: 12, online: 20 }, 5_000, policy, true);
    assert.deepEqual([d.holdOffline, d.next, d.brakeChange], [false, released, { type: 'brake.released', held: 12, cause: 'admin' }]);
    assert.equal(decideSweep(released, { goingOffline: 12, online: 20 }, 5_000, policy, true).holdOffline, true, 'a release asked before the brake engaged does not stop it');
  });

  it('asks for a preview only past the grace and with the brake on', () => {
    assert.equal(needsPreview(policy, 1_000), false);
    assert.equal(needsPreview(policy, 1_001), true);
    assert.equal(needsPreview({ ...policy, brake: null }, 5_000), false);
    assert.deepEqual(decideSweep(released, null, 5_000, { ...policy, brake: null }).holdOffline, false);
  });
});
