// Readiness (GET /readyz, the dashboard's overview), in every process: ready when a database query works
// and the sweeper — in whichever process or master sweeps — swept within two intervals (plus 1 s);
// warnings for what does not stop the API: failing writes in any process of this master, published files
// that cannot be written, a held mass offline.
import type { Clock } from '../clock.js';
import { rfc3339 } from '../domain/time.js';
import { AppError } from '../errors.js';
import type { WritesFailing } from '../storage/health.js';
import type { NodeStore } from '../storage/store.js';
import { readHeartbeat } from './records.js';

/**
 * A problem that does not stop the API. `message` has the details (paths, errors) for authenticated
 * callers; `summary` is what an unauthenticated caller sees in token mode.
 */
export interface Warning {
  message: string;
  summary: string;
}

/** The readiness answer. */
export type Readiness = { ready: true; warnings: Warning[] } | { ready: false; error: string; warnings: Warning[] };

/** Reads readiness. */
export type ReadinessCheck = () => Promise<Readiness>;

/** The readiness of a process over its store; `writesFailing`: this master's processes whose writes fail. */
export function createReadiness(deps: { store: Pick<NodeStore, 'getState'>; clock: Clock; writesFailing?: () => WritesFailing[] }): ReadinessCheck {
  return async () => {
    const warnings: Warning[] = [];
    const failing = deps.writesFailing?.() ?? [];
    if (failing.length > 0) {
      const codes = [...new Set(failing.map((f) => f.code))].join(', ');
      const text = `database writes failing: ${codes} since ${rfc3339(Math.min(...failing.map((f) => f.sinceMs)))}`;
      warnings.push({ message: text, summary: text });
    }
    let beat;
    try {
      beat = await readHeartbeat(deps.store);
    } catch (err) {
      // An AppError's text (the code only); anything else may hold the database's address: not shown.
      return { ready: false, error: `database unavailable: ${err instanceof AppError ? err.message : 'the query failed'}`, warnings };
    }
    if (beat === null) return { ready: false, error: 'the status sweeper has not run yet', warnings };
    const ageMs = deps.clock.now() - beat.sweptAtMs;
    if (ageMs > 2 * beat.intervalMs + 1000) {
      return { ready: false, error: `the status sweeper is late: last sweep ${(ageMs / 1000).toFixed(1)} s ago, interval ${beat.intervalMs / 1000} s`, warnings };
    }
    for (const e of beat.publishErrors) warnings.push({ message: `${e.file} cannot be written: ${e.error}`, summary: `${e.file} cannot be written` });
    if (beat.brakeHeld > 0) {
      const text = `mass-offline brake: holding ${beat.brakeHeld} offline transitions`;
      warnings.push({ message: text, summary: text });
    }
    return { ready: true, warnings };
  };
}
