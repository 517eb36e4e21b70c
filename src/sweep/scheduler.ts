// The sweeper: runs a status sweep and a nodes.json publish once at start, then every interval.
// Exactly one sweeper runs per master (in the primary process), so there is one nodes.json writer.
// Ticks never overlap: the next one is scheduled when the previous one has finished.
import type { Logger } from 'pino';
import type { Registry } from '../registry.js';
import type { NodesFilePublisher } from './nodes-file.js';

/** Dependencies of the sweeper. */
export interface SweeperDeps {
  registry: Pick<Registry, 'sweep'>;
  publisher: Pick<NodesFilePublisher, 'publish'>;
  intervalMs: number;
  logger: Logger;
}

/** A started-on-demand periodic sweep. */
export interface Sweeper {
  /** Runs the first sweep and publish, then schedules the next ones. */
  start(): Promise<void>;
  /** Stops scheduling and waits for a tick in progress. */
  stop(): Promise<void>;
  /** Runs one sweep + publish now (also what every tick does). */
  tick(): Promise<void>;
}

/** Creates the sweeper. */
export function createSweeper(deps: SweeperDeps): Sweeper {
  const log = deps.logger.child({ module: 'sweeper' });
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | null = null;
  let stopped = false;

  const tick = async (): Promise<void> => {
    try {
      await deps.registry.sweep();
    } catch (err) {
      log.error({ err }, 'status sweep failed');
    }
    await deps.publisher.publish();
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = tick().finally(() => {
        current = null;
        schedule();
      });
    }, deps.intervalMs);
  };

  return {
    async start() {
      stopped = false;
      await tick();
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
    tick,
  };
}
