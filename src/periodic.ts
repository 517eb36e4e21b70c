// A task run once at start and then every interval. Runs never overlap: the next run is scheduled
// only when the previous one has finished. Used by the status sweeper and the dns-monitor.
import { systemClock, type Clock, type Timer } from './clock.js';

/** A periodic task. */
export interface PeriodicTask {
  /** Runs the task once now, then schedules the next runs. */
  start(): Promise<void>;
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Creates a periodic task on `clock`; `run` must not throw (it handles and logs its own failures). */
export function createPeriodicTask(run: () => Promise<void>, intervalMs: number, clock: Clock = systemClock): PeriodicTask {
  let timer: Timer | undefined;
  let current: Promise<void> | null = null;
  let stopped = false;

  const schedule = () => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      current = run().finally(() => {
        current = null;
        schedule();
      });
    }, intervalMs);
  };

  return {
    async start() {
      stopped = false;
      current = run();
      await current;
      current = null;
      schedule();
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      await current;
    },
  };
}
