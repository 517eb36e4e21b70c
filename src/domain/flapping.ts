// Flapping (SPEC §9.3): a node that made at least `transitions` online/offline transitions within the
// last `windowMs` is flapping. Pure; information only (it changes no status and nothing published).
import type { NodeStatus } from './status.js';

/** FLAP_TRANSITIONS and FLAP_WINDOW_SECONDS. */
export interface FlapSettings {
  transitions: number;
  windowMs: number;
}

/** Whether a status change counts (online ↔ offline; not the first report of a new node). */
export function isFlapTransition(from: NodeStatus, to: NodeStatus): boolean {
  return (from === 'online' && to === 'offline') || (from === 'offline' && to === 'online');
}

/** Whether the transition times (oldest first, at most `transitions` kept) make a node flapping at `nowMs`. */
export function isFlapping(timesMs: readonly number[], nowMs: number, s: FlapSettings): boolean {
  return timesMs.length >= s.transitions && nowMs - timesMs[0]! <= s.windowMs;
}

/** Records a transition at `atMs`: the latest `transitions` times, and whether the node now flaps. */
export function recordFlapTransition(timesMs: readonly number[], atMs: number, s: FlapSettings): { timesMs: number[]; flapping: boolean } {
  const next = [...timesMs, atMs].slice(-s.transitions);
  return { timesMs: next, flapping: isFlapping(next, atMs, s) };
}
