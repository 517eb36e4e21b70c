// The sweeping side's maintenance pass (SPEC §13): every half second, on the leader only, windows whose
// time came start or end, and nodes move in and out of them (storage/core/maintenance.ts). Guarantees:
// a window starts and ends within a second of its time on whichever master leads, also after a restart
// or a failover (everything is in the database; a new leader's first pass re-evaluates every window);
// coverage is re-evaluated when the change version moved, so that a node that registers or gets a label
// during a window enters it within a second, and nothing is evaluated while the fleet does not change.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { createPeriodicTask, type PeriodicTask } from '../periodic.js';
import type { NodeStore } from '../storage/store.js';

/** How often the pass runs. */
export const MAINTENANCE_PASS_MS = 500;

/** Creates the pass; `leading`: whether this master leads now (a follower's pass does nothing). */
export function createMaintenancePass(deps: { store: NodeStore; clock: Clock; logger: Logger; leading: () => boolean; everyMs?: number }): PeriodicTask & { runOnce(): Promise<void> } {
  const log = deps.logger.child({ module: 'maintenance' });
  let seenVersion: string | null = null;
  const runOnce = async () => {
    if (!deps.leading()) {
      seenVersion = null; // a master that leads again re-evaluates every window
      return;
    }
    try {
      const version = await deps.store.changeVersion();
      const applied = await deps.store.applyMaintenance(deps.clock.now(), version !== seenVersion);
      seenVersion = version;
      if (applied.started.length > 0) log.info({ windows: applied.started, entered: applied.entered }, 'maintenance windows started');
      if (applied.ended.length > 0) log.info({ windows: applied.ended, left: applied.left }, 'maintenance windows ended');
    } catch (err) {
      log.error({ err }, 'maintenance pass failed; retrying');
    }
  };
  return { ...createPeriodicTask(runOnce, deps.everyMs ?? MAINTENANCE_PASS_MS, deps.clock), runOnce };
}
