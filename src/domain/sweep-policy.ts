// The sweep policy: what one sweep may apply, given what it held before, a preview of the sweep and
// now. Pure (no store, no clock, no logger): the registry calls it and does what it says, and unit tests
// drive it with tables. Two safeguards keep a healthy fleet from being marked offline by the master's
// own trouble:
// - restart grace: for one offline threshold after the master started, no node goes offline (the
//   master was down, not the fleet);
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

/** Something the registry logs about the decision. */
export interface PolicyNote {
  level: 'info' | 'warn';
  msg: string;
  fields: Record<string, number>;
}

/** One decision. */
export interface SweepDecision {
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

/** Decides one sweep at `nowMs`; `preview` is required when `needsPreview` says so. */
export function decideSweep(prev: HoldState, preview: SweepPreview | null, nowMs: number, policy: SweepPolicy): SweepDecision {
  if (nowMs <= policy.graceUntilMs) return { holdOffline: true, brakeHeld: 0, restartGrace: true, next: prev, notes: [] };
  const brake = policy.brake;
  if (!brake || !preview) return { holdOffline: false, brakeHeld: 0, restartGrace: false, next: { brakeSinceMs: null }, notes: [] };
  const { goingOffline, online } = preview;
  const massive = goingOffline >= brake.minNodes && goingOffline > brake.ratio * online;
  const notes: PolicyNote[] = [];
  if (!massive) {
    if (prev.brakeSinceMs !== null) notes.push({ level: 'info', msg: 'mass offline over (reports returned); offline transitions resume', fields: { goingOffline, online } });
    return { holdOffline: false, brakeHeld: 0, restartGrace: false, next: { brakeSinceMs: null }, notes };
  }
  const sinceMs = prev.brakeSinceMs ?? nowMs;
  if (prev.brakeSinceMs === null) {
    notes.push({ level: 'warn', msg: 'mass offline: holding offline transitions and nodes.json', fields: { goingOffline, online, maxHoldSeconds: brake.maxHoldMs / 1000 } });
  }
  if (nowMs - sinceMs < brake.maxHoldMs) {
    return { holdOffline: true, brakeHeld: goingOffline, restartGrace: false, next: { brakeSinceMs: sinceMs }, notes };
  }
  notes.push({ level: 'warn', msg: 'mass offline: hold time over; releasing the offline transitions', fields: { goingOffline, online, heldSeconds: (nowMs - sinceMs) / 1000 } });
  return { holdOffline: false, brakeHeld: 0, restartGrace: false, next: { brakeSinceMs: null }, notes };
}
