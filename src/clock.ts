// Time source, injected everywhere time matters so tests can drive it.

/** Returns "now" in epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; for tests. */
export function createManualClock(startMs = Date.UTC(2025, 8, 24, 3, 20, 0)): Clock & {
  set(ms: number): void;
  advance(ms: number): void;
} {
  let t = startMs;
  return {
    now: () => t,
    set: (ms) => { t = ms; },
    advance: (ms) => { t += ms; },
  };
}
