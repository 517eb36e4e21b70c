// The sweeping side: what only the sweeping process does (the single process, a cluster's primary, or
// with several masters the leader): the status sweep (SPEC §3) with the restart grace (grace.ts) and the
// mass-offline brake (SPEC §9.4; the decision is the domain's pure sweep policy), flapping's end (§9.3),
// garbage collection (§9.1), retention (§8.1, and expired dashboard sessions), and the heartbeat every
// process's readiness reads. Transitions go in SQL through the store with the domain's cut-offs
// (`sweepCutoffs`; the contract suite holds them equal to `statusOf`).
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { EventType, type EventDraft } from '../domain/events.js';
import type { FlapSettings } from '../domain/flapping.js';
import type { StatusTransition } from '../domain/node.js';
import { sweepCutoffs, type Thresholds } from '../domain/status.js';
import { decideSweep, needsPreview, type HoldState, type OfflineBrake, type SweepDecision } from '../domain/sweep-policy.js';
import { rfc3339 } from '../domain/time.js';
import type { Metrics } from '../metrics.js';
import { SESSION_PREFIX } from '../sessions.js';
import type { NodeStore } from '../storage/store.js';
import { createTransitionLog } from '../transition-log.js';
import { createGrace } from './grace.js';
import { RECORD, type BrakeState, type SweeperHeartbeat } from './records.js';

export type { OfflineBrake } from '../domain/sweep-policy.js';

/** What one sweep did and held back. */
export interface SweepResult {
  /** Its transitions (none kept with `collect: false`). */
  transitions: StatusTransition[];
  /** Offline transitions held by the brake (0: not engaged). */
  brakeHeld: number;
  /** True while the restart grace holds every offline transition. */
  restartGrace: boolean;
}

/** The sweeping side. */
export interface Sweeping {
  /**
   * One sweep at the clock's now; logs its transitions and returns them, or none with `collect: false`
   * (the scheduler: a sweep of a million nodes would otherwise keep a million objects alive to its end).
   */
  sweep(options?: { collect?: boolean }): Promise<SweepResult>;
  /** This master answers agents from now: the restart grace lasts one offline threshold from now. */
  serving(): void;
  /** Deletes events past retention and expired dashboard sessions; returns how many events. */
  applyRetention(): Promise<number>;
  /** Records the sweeper's heartbeat (after each sweep). */
  heartbeat(beat: Omit<SweeperHeartbeat, 'sweptAtMs' | 'brakeHeld'>): Promise<void>;
}

/** What the sweeping side needs. */
export interface SweepingDeps {
  store: NodeStore;
  clock: Clock;
  thresholds: Thresholds;
  logger: Logger;
  metrics?: Pick<Metrics, 'statusTransitions' | 'eventsWritten' | 'eventsPruned' | 'brakeHeld'>;
  flap?: FlapSettings;
  /** Garbage collection after this long offline or never reporting; 0 or absent: off. */
  gcAfterMs?: number;
  eventRetention?: { maxAgeMs: number; maxPerNode: number };
  /** The mass-offline brake; null or absent: off. */
  offlineBrake?: OfflineBrake | null;
  /** Several masters: since when agents have had a master to report to (grace.ts). */
  servedSince?: () => Promise<number | null>;
}

/** A cut-off no report time is below: no node goes offline. */
const NO_OFFLINE = Number.MIN_SAFE_INTEGER;

/** The brake's record for GET /brake, with its engage or release event. */
function brakeRecord(decision: SweepDecision, brake: OfflineBrake | null): { state: BrakeState; events: EventDraft[] } {
  const since = decision.next.brakeSinceMs;
  const state: BrakeState = {
    state: since === null ? 'released' : 'holding',
    held: decision.brakeHeld,
    since: since === null ? null : rfc3339(since),
    releases_at: since === null || !brake ? null : rfc3339(since + brake.maxHoldMs),
  };
  const change = decision.brakeChange;
  const fields = change?.type === 'brake.released' ? { held: change.held, cause: change.cause } : { held: change?.held };
  return { state, events: change ? [{ type: change.type, nodeId: null, fields }] : [] };
}

/** Creates the sweeping side (in the sweeping process only). */
export function createSweeping(deps: SweepingDeps): Sweeping {
  const { store, clock, thresholds, metrics } = deps;
  const log = deps.logger.child({ module: 'sweeper' });
  const transitionLog = createTransitionLog(log, metrics);
  const grace = createGrace({ store, clock, offlineAfterMs: thresholds.offlineAfterMs, logger: log, servedSince: deps.servedSince });
  const brake = deps.offlineBrake ?? null;
  let holdState: HoldState = { brakeSinceMs: null };
  let lastHeld = 0;

  /** The grace and the brake decide what may go offline (SPEC §9.4, §11); the brake's record follows. */
  const decide = async (nowMs: number) => {
    const policy = { graceUntilMs: await grace.update(nowMs), brake };
    const cutoffs = sweepCutoffs(nowMs, thresholds);
    const preview = needsPreview(policy, nowMs) ? await store.sweepPreview(cutoffs) : null;
    const since = holdState.brakeSinceMs;
    const releaseAsked = since !== null && Number((await store.getState(RECORD.brakeRelease)) ?? 0) >= since;
    const decision = decideSweep(holdState, preview, nowMs, policy, releaseAsked);
    for (const n of decision.notes) log[n.level](n.fields, n.msg);
    holdState = decision.next;
    if (decision.brakeChange || decision.brakeHeld > 0) {
      const record = brakeRecord(decision, brake);
      await store.putState(RECORD.brake, JSON.stringify(record.state), record.events, nowMs);
      if (decision.brakeChange) metrics?.eventsWritten.inc({ type: decision.brakeChange.type });
    }
    lastHeld = decision.brakeHeld;
    metrics?.brakeHeld.set(decision.brakeHeld);
    return { cutoffs, decision };
  };

  /** Flapping's end and garbage collection, after the transitions. */
  const afterTransitions = async (nowMs: number, holdOffline: boolean) => {
    if (deps.flap) {
      const calmed = await store.settleFlapping(nowMs, deps.flap);
      if (calmed.length > 0) {
        metrics?.eventsWritten.inc({ type: EventType.Flapping }, calmed.length);
        log.info({ count: calmed.length, nodeIds: calmed.slice(0, 100) }, 'nodes stopped flapping');
      }
    }
    // Nothing is collected while the grace or the brake holds offline transitions: the master, not the
    // fleet, may be what is wrong.
    const gcAfterMs = deps.gcAfterMs ?? 0;
    if (gcAfterMs > 0 && !holdOffline) {
      await store.collectGarbage(nowMs - gcAfterMs, nowMs, (ids) => {
        metrics?.eventsWritten.inc({ type: EventType.Deregistered }, ids.length);
        log.info({ count: ids.length, nodeIds: ids, cause: 'gc', afterSeconds: gcAfterMs / 1000 }, 'nodes deregistered');
      });
    }
  };

  return {
    serving: () => grace.serving(),
    async sweep(options = {}) {
      const nowMs = clock.now();
      const { cutoffs, decision } = await decide(nowMs);
      const transitions: StatusTransition[] = [];
      const collect = options.collect ?? true;
      const onChunk = (chunk: StatusTransition[]) => {
        transitionLog.chunk(chunk);
        if (collect) for (const t of chunk) transitions.push(t);
      };
      await store.sweep({ ...cutoffs, offlineBeforeMs: decision.holdOffline ? NO_OFFLINE : cutoffs.offlineBeforeMs }, nowMs, onChunk, deps.flap);
      await afterTransitions(nowMs, decision.holdOffline);
      return { transitions, brakeHeld: decision.brakeHeld, restartGrace: decision.restartGrace };
    },
    async applyRetention() {
      const sessions = await store.pruneExpiredState(SESSION_PREFIX, clock.now());
      if (sessions > 0) log.info({ sessions }, 'expired dashboard sessions removed');
      // The fleet's history first: retention deletes only the events it holds (SPEC §17).
      await store.foldHistory(clock.now());
      if (!deps.eventRetention) return 0;
      // Ended maintenance windows are kept as long as events are (SPEC §13).
      const windows = await store.pruneWindows(clock.now() - deps.eventRetention.maxAgeMs);
      if (windows > 0) log.info({ windows }, 'maintenance windows past retention deleted');
      const deleted = await store.pruneEvents({ olderThanMs: clock.now() - deps.eventRetention.maxAgeMs, maxPerNode: deps.eventRetention.maxPerNode });
      if (deleted > 0) {
        metrics?.eventsPruned.inc(deleted);
        log.info({ deleted }, 'events past retention deleted');
      }
      return deleted;
    },
    async heartbeat(beat) {
      const full: SweeperHeartbeat = { ...beat, sweptAtMs: clock.now(), brakeHeld: lastHeld };
      await store.putState(RECORD.heartbeat, JSON.stringify(full));
    },
  };
}
