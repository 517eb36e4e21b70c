// What the sweeping process records in the database for every process and master to read: its heartbeat
// (after every sweep: /readyz on any worker) and the mass-offline brake's state (GET /brake); and what an
// admin's release of the brake leaves for it. The shapes and keys in one place.
import type { NodeStore } from '../storage/store.js';

/** The sweeper's heartbeat, written after every sweep. */
export interface SweeperHeartbeat {
  sweptAtMs: number;
  intervalMs: number;
  publishErrors: Array<{ file: string; error: string }>;
  brakeHeld: number;
}

/** The brake as GET /brake shows it (SPEC §9.4). */
export interface BrakeState {
  state: 'released' | 'holding';
  held: number;
  since: string | null;
  releases_at: string | null;
}

/** The keys of the records in the operational state (kv `state:`). */
export const RECORD = {
  heartbeat: 'sweeper',
  brake: 'brake',
  /** When an admin last asked to let the held transitions through (epoch ms). */
  brakeRelease: 'brake-release',
} as const;

/** The sweeper's last heartbeat, or null before the first sweep. A real query: it rejects when the database fails. */
export async function readHeartbeat(store: Pick<NodeStore, 'getState'>): Promise<SweeperHeartbeat | null> {
  const raw = await store.getState(RECORD.heartbeat);
  return raw === null ? null : (JSON.parse(raw) as SweeperHeartbeat);
}

/** The brake's state as the sweeping process last recorded it (released before it ever engaged). */
export async function readBrake(store: Pick<NodeStore, 'getState'>): Promise<BrakeState> {
  const raw = await store.getState(RECORD.brake);
  return raw ? (JSON.parse(raw) as BrakeState) : { state: 'released', held: 0, since: null, releases_at: null };
}
