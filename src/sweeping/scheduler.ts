// The sweeper: runs a status sweep and a nodes.json publish once at start, then every interval.
// Exactly one sweeper runs per master: in the primary of a cluster, or in the single process with
// MASTER_WORKERS=1; so there is one nodes.json writer.
// Ticks never overlap (see periodic.ts).
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { createPeriodicTask, type PeriodicTask } from '../periodic.js';
import type { Clock } from '../clock.js';
import type { Sweeping } from './sweeping.js';

/** Dependencies of the sweeper. */
export interface SweeperDeps {
  sweeping: Pick<Sweeping, 'sweep'>;
  /** Publishes every derived file (nodes.json, file_sd); must not throw. */
  publish: () => Promise<unknown>;
  intervalMs: number;
  logger: Logger;
  metrics?: Pick<Metrics, 'sweepDuration' | 'lastSweep'>;
  /** Runs after each sweep and publish (the heartbeat), and after the first sweep before its publish; must not throw. */
  afterTick?: () => Promise<void>;
  /** Event retention, after each sweep (in bounded steps). */
  retention?: () => Promise<unknown>;
  /** Several masters: whether this one leads now; a follower's tick does nothing. */
  leading?: () => boolean;
  /** The clock of the interval (default: the system clock). */
  clock?: Clock;
}

/** Creates the sweeper: `start()` sweeps and publishes at once, then every interval. */
export function createSweeper(deps: SweeperDeps): PeriodicTask {
  const log = deps.logger.child({ module: 'sweeper' });
  let first = true;
  const tick = async (): Promise<void> => {
    if (deps.leading && !deps.leading()) return;
    const endTimer = deps.metrics?.sweepDuration.startTimer();
    try {
      await deps.sweeping.sweep({ collect: false });
      endTimer?.();
      deps.metrics?.lastSweep.setToCurrentTime();
    } catch (err) {
      log.error({ err }, 'status sweep failed');
    }
    // The first heartbeat comes before the first publish too: /readyz (which waits for a heartbeat) need
    // not wait for nodes.json, ~3 s to build at a million nodes.
    if (first) await deps.afterTick?.();
    first = false;
    await deps.publish();
    try {
      await deps.retention?.();
    } catch (err) {
      log.error({ err }, 'event retention failed');
    }
    await deps.afterTick?.();
  };
  return createPeriodicTask(tick, deps.intervalMs, deps.clock);
}
