// A task run once at start and then every interval. Runs never overlap: the next run is scheduled
// only when the previous one has finished. Used by the status sweeper and the dns-monitor.

/** A periodic task. */
export interface PeriodicTask {
  /** Runs the task once now, then schedules the next runs. */
  start(): Promise<void>;
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Creates a periodic task; `run` must not throw (it handles and logs its own failures). */
export function createPeriodicTask(run: () => Promise<void>, intervalMs: number): PeriodicTask {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | null = null;
  let stopped = false;

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
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
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
