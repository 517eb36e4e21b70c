// The parts a single-process master composes — node use cases, the sweeping side, readiness — over one
// store, as one object for unit tests that drive them together (grace, brake, readiness, flapping).
// `sweep` answers its transitions, `held` what the last sweep held back: test-only conveniences.
import type { Logger } from 'pino';
import type { Clock } from '../../src/clock.js';
import type { FlapSettings } from '../../src/domain/flapping.js';
import type { Thresholds } from '../../src/domain/status.js';
import type { Metrics } from '../../src/metrics.js';
import { createNodes } from '../../src/nodes/index.js';
import type { WritesFailing } from '../../src/storage/health.js';
import type { NodeStore } from '../../src/storage/store.js';
import { createReadiness } from '../../src/sweeping/readiness.js';
import { createSweeping, type OfflineBrake, type SweepResult } from '../../src/sweeping/sweeping.js';
import { silentLogger } from './fixtures.js';

/** Options of the parts. */
export interface PartsOptions {
  store: NodeStore;
  clock: Clock;
  thresholds: Thresholds;
  logger?: Logger;
  metrics?: Metrics;
  offlineBrake?: OfflineBrake | null;
  flap?: FlapSettings;
  writesFailing?: () => WritesFailing[];
}

/** The parts of a single-process master over `store`. */
export function masterParts(o: PartsOptions) {
  const logger = o.logger ?? silentLogger;
  const nodes = createNodes({ store: o.store, clock: o.clock, thresholds: o.thresholds, idPrefix: 'A', logger, metrics: o.metrics, flap: o.flap });
  const sweeping = createSweeping({ store: o.store, clock: o.clock, thresholds: o.thresholds, logger, metrics: o.metrics, offlineBrake: o.offlineBrake, flap: o.flap });
  const readiness = createReadiness({ store: o.store, clock: o.clock, writesFailing: o.writesFailing });
  let last: SweepResult = { transitions: [], brakeHeld: 0, restartGrace: true };
  return {
    ...nodes,
    readiness,
    heartbeat: (beat: Parameters<typeof sweeping.heartbeat>[0]) => sweeping.heartbeat(beat),
    serving: () => sweeping.serving(),
    applyRetention: () => sweeping.applyRetention(),
    async sweep(options?: { collect?: boolean }) {
      last = await sweeping.sweep(options);
      return last.transitions;
    },
    held: () => last,
  };
}

/** What `masterParts` makes. */
export type MasterParts = ReturnType<typeof masterParts>;
