// The restart grace (SPEC §11): after the registry was down — nobody could report — no node goes offline
// for one offline threshold, so that agents have a report interval to reach it again. Only when no master
// was serving, not on a failover:
// - one master (SQLite): from the moment this master answers (`serving`), and again after a gap in the
//   sweeper's heartbeat longer than the threshold and two intervals (a database that failed for that
//   long), once per such gap;
// - several masters (PostgreSQL): from when agents last had a master without a break, as the masters'
//   contact records it (`servedSince`: every master's serving stretch, cluster/leadership.ts).
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { rfc3339 } from '../domain/time.js';
import type { NodeStore } from '../storage/store.js';
import { readHeartbeat } from './records.js';

/** The grace of the sweeping process. */
export interface Grace {
  /** This master answers agents from now (its HTTP side listens). */
  serving(): void;
  /** Brings the grace up to date for a sweep at `nowMs`; returns until when it holds offline transitions. */
  update(nowMs: number): Promise<number>;
}

/** Creates the grace; `servedSince` with several masters. */
export function createGrace(deps: { store: Pick<NodeStore, 'getState'>; clock: Clock; offlineAfterMs: number; logger: Logger; servedSince?: () => Promise<number | null> }): Grace {
  const { offlineAfterMs, logger: log } = deps;
  // One threshold from the start of the sweeping side, moved on by `serving`.
  let graceUntilMs = deps.clock.now() + offlineAfterMs;
  let graceForBeat: number | null = null;

  /** One master: a gap in the heartbeat longer than the threshold means nobody swept (nor could report). */
  const afterHeartbeatGap = async (nowMs: number) => {
    const beat = await readHeartbeat(deps.store);
    if (beat === null) return;
    const gapMs = nowMs - beat.sweptAtMs;
    if (beat.sweptAtMs === graceForBeat || gapMs <= offlineAfterMs || gapMs <= 2 * beat.intervalMs + 1000 || nowMs <= graceUntilMs) return;
    graceForBeat = beat.sweptAtMs;
    graceUntilMs = nowMs + offlineAfterMs;
    log.warn({ lastSweep: rfc3339(beat.sweptAtMs), gapSeconds: gapMs / 1000, graceSeconds: offlineAfterMs / 1000 }, 'no master swept for longer than the offline threshold (the registry was down): restart grace, no node goes offline for one offline threshold');
  };
  /** Several masters: one threshold from when the registry was last served without a break. */
  const afterServing = async (nowMs: number, servedSince: () => Promise<number | null>) => {
    const since = (await servedSince()) ?? nowMs;
    const until = since + offlineAfterMs;
    // Logged when a grace starts again after one had ended (a database outage, every master down).
    if (nowMs > graceUntilMs && nowMs <= until) {
      log.warn({ servedSince: rfc3339(since), graceSeconds: offlineAfterMs / 1000 }, 'no master served agents without a break until recently: restart grace, no node goes offline for one offline threshold from then');
    }
    graceUntilMs = until;
  };
  return {
    serving() {
      graceUntilMs = Math.max(graceUntilMs, deps.clock.now() + offlineAfterMs);
    },
    async update(nowMs) {
      if (deps.servedSince) await afterServing(nowMs, deps.servedSince);
      else await afterHeartbeatGap(nowMs);
      return graceUntilMs;
    },
  };
}
