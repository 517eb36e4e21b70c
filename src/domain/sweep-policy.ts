// The sweep policy: what one sweep may apply, given what it held before, a preview of the sweep and
// now. Pure (no store, no clock, no logger): the sweeping side (sweeping/sweeping.ts) calls it and does
// what it says, and unit tests drive it with tables. Two safeguards keep a healthy fleet from being
// marked offline by the master's own trouble:
// - restart grace: for one offline threshold after the master started answering, no node goes offline
//   (the master was down, not the fleet);
// - the mass-offline brake: when one sweep would take more than `ratio` of the online nodes offline,
//   and at least `minNodes`, the offline transitions are held until reports return or `maxHoldMs` passed.

/** The mass-offline brake's settings. */
export interface OfflineBrake {
  ratio: number;
  minNodes: number;
  maxHoldMs: number;
}

/** What the policy remembers between sweeps. */
export interface HoldState {
  /** When the brake engaged (null: released). */
  brakeSinceMs: number | null;
}

/** The policy's settings. */
export interface SweepPolicy {
  /** The restart grace lasts while now ≤ this. */
  graceUntilMs: number;
  brake: OfflineBrake | null;
}

/** What a sweep would do to the online set (asked of the store only when the brake may engage). */
export interface SweepPreview {
  goingOffline: number;
  online: number;
}

/** Something the sweeping side logs about the decision. */
export interface PolicyNote {
  level: 'info' | 'warn';
  msg: string;
  fields: Record<string, number>;
}

/** A change of the brake, to be recorded as an event (SPEC §9.4). */
export type BrakeChange = { type: 'brake.engaged'; held: number } | { type: 'brake.released'; held: number; cause: 'reports' | 'timeout' | 'admin' };

/** One decision. */
export interface SweepDecision {
  /** The brake engaged or released in this sweep (null: no change). */
  brakeChange: BrakeChange | null;
  /** Offline transitions are held in this sweep (online ones always go through). */
  holdOffline: boolean;
  /** Offline transitions held by the brake (0: not engaged). */
  brakeHeld: number;
  restartGrace: boolean;
  next: HoldState;
  notes: PolicyNote[];
}

/** Whether this sweep needs a preview (not during the grace, and only with the brake on). */
export function needsPreview(policy: SweepPolicy, nowMs: number): boolean {
  return policy.brake !== null && nowMs > policy.graceUntilMs;
}

/**
 * Decides one sweep at `nowMs`; `preview` is required when `needsPreview` says so. `releaseRequested`:
 * an admin asked to let the held transitions through (POST /brake/release).
 */
export function decideSweep(prev: HoldState, preview: SweepPreview | null, nowMs: number, policy: SweepPolicy, releaseRequested = false): SweepDecision {
  const quiet = { brakeHeld: 0, restartGrace: false, next: { brakeSinceMs: null }, notes: [] as PolicyNote[], brakeChange: null };
  if (nowMs <= policy.graceUntilMs) return { ...quiet, holdOffline: true, restartGrace: true, next: prev };
  const brake = policy.brake;
  if (!brake || !preview) return { ...quiet, holdOffline: false };
  const { goingOffline, online } = preview;
  const massive = goingOffline >= brake.minNodes && goingOffline > brake.ratio * online;
  const notes: PolicyNote[] = [];
  const released = (cause: 'reports' | 'timeout' | 'admin', msg: string, fields: Record<string, number>): SweepDecision => {
    notes.push({ level: cause === 'reports' ? 'info' : 'warn', msg, fields });
    return { ...quiet, holdOffline: false, notes, brakeChange: { type: 'brake.released', held: goingOffline, cause } };
  };
  if (!massive) {
    if (prev.brakeSinceMs !== null) return released('reports', 'mass offline over (reports returned); offline transitions resume', { goingOffline, online });
    return { ...quiet, holdOffline: false };
  }
  if (prev.brakeSinceMs !== null && releaseRequested) {
    return released('admin', 'mass offline: released by an admin; letting the offline transitions through', { goingOffline, online, heldSeconds: (nowMs - prev.brakeSinceMs) / 1000 });
  }
  const sinceMs = prev.brakeSinceMs ?? nowMs;
  const engaged = prev.brakeSinceMs === null;
  if (engaged) {
    notes.push({ level: 'warn', msg: 'mass offline: holding offline transitions and nodes.json', fields: { goingOffline, online, maxHoldSeconds: brake.maxHoldMs / 1000 } });
  }
  if (nowMs - sinceMs < brake.maxHoldMs) {
    return { holdOffline: true, brakeHeld: goingOffline, restartGrace: false, next: { brakeSinceMs: sinceMs }, notes, brakeChange: engaged ? { type: 'brake.engaged', held: goingOffline } : null };
  }
  return released('timeout', 'mass offline: hold time over; releasing the offline transitions', { goingOffline, online, heldSeconds: (nowMs - sinceMs) / 1000 });
}
