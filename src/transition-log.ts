// How status transitions and events are logged and counted, by reports (nodes/) and sweeps (sweeping/)
// alike. Guarantee: no flood — a sweep chunk that changes many nodes (a rack lost, a master back after an
// outage) is one line listing every node ID, so 100,000 transitions cost 200 log writes, not 100,000.
import type { Logger } from 'pino';
import type { StoredEvent } from './domain/events.js';
import { EventType } from './domain/events.js';
import type { StatusTransition } from './domain/node.js';
import type { NodeStatus } from './domain/status.js';
import type { Metrics } from './metrics.js';

/** A sweep chunk of at most this many transitions is logged a line per node; a larger one in one line. */
const LINES_PER_NODE_UP_TO = 20;

/** The metrics the log counts into. */
export type TransitionMetrics = Pick<Metrics, 'statusTransitions' | 'eventsWritten'>;

/** The transition log of one module. */
export interface TransitionLog {
  /** One transition (a report's). */
  one(t: StatusTransition, cause: 'report' | 'sweep'): void;
  /** A sweep's committed chunk. */
  chunk(chunk: readonly StatusTransition[]): void;
  /** Counts written events by type. */
  events(events: readonly StoredEvent[]): void;
}

/** Creates the log over `logger` (a module's child) and `metrics`. */
export function createTransitionLog(log: Logger, metrics?: TransitionMetrics): TransitionLog {
  const one = (t: StatusTransition, cause: 'report' | 'sweep') => {
    log.info({ nodeId: t.id, from: t.from, to: t.to, cause }, 'node status changed');
    metrics?.statusTransitions.inc({ from: t.from, to: t.to, cause });
  };
  return {
    one,
    chunk(chunk) {
      metrics?.eventsWritten.inc({ type: EventType.Status }, chunk.length);
      if (chunk.length <= LINES_PER_NODE_UP_TO) {
        for (const t of chunk) one(t, 'sweep');
        return;
      }
      const counts = new Map<string, { from: NodeStatus; to: NodeStatus; count: number }>();
      for (const t of chunk) {
        const key = `${t.from}>${t.to}`;
        const c = counts.get(key) ?? counts.set(key, { from: t.from, to: t.to, count: 0 }).get(key)!;
        c.count++;
      }
      for (const c of counts.values()) metrics?.statusTransitions.inc({ from: c.from, to: c.to, cause: 'sweep' }, c.count);
      log.info({ count: chunk.length, transitions: [...counts.values()], nodeIds: chunk.map((t) => t.id), cause: 'sweep' }, 'node statuses changed');
    },
    events(events) {
      for (const e of events) metrics?.eventsWritten.inc({ type: e.type });
    },
  };
}
