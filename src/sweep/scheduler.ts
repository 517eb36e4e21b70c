// The sweeper: runs a status sweep and a nodes.json publish once at start, then every interval.
// Exactly one sweeper runs per master (in the primary process), so there is one nodes.json writer.
// Ticks never overlap (see periodic.ts).
import type { Logger } from 'pino';
import { createPeriodicTask, type PeriodicTask } from '../periodic.js';
import type { Registry } from '../registry.js';
import type { NodesFilePublisher } from './nodes-file.js';

/** Dependencies of the sweeper. */
export interface SweeperDeps {
  registry: Pick<Registry, 'sweep'>;
  publisher: Pick<NodesFilePublisher, 'publish'>;
  intervalMs: number;
  logger: Logger;
}

/** Creates the sweeper: `start()` sweeps and publishes at once, then every interval. */
export function createSweeper(deps: SweeperDeps): PeriodicTask {
  const log = deps.logger.child({ module: 'sweeper' });
  const tick = async (): Promise<void> => {
    try {
      await deps.registry.sweep();
    } catch (err) {
      log.error({ err }, 'status sweep failed');
    }
    await deps.publisher.publish();
  };
  return createPeriodicTask(tick, deps.intervalMs);
}
