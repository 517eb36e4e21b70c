// Time and timers, injected everywhere time matters (the sweeper, leadership, the publisher, the event
// feed, group commits), so that tests drive them without sleeping.

/** A pending timer. */
export interface Timer {
  /** Cancels it (nothing when it already fired). */
  cancel(): void;
  /** Lets the process exit while only this timer is pending (a real clock's; no effect in tests). */
  unref(): Timer;
}

/** Now in epoch milliseconds, and timers on the same clock. */
export interface Clock {
  now(): number;
  /** Calls `fn` once, `ms` from now. */
  setTimeout(fn: () => void, ms: number): Timer;
}

/** The real wall clock and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    const timer: Timer = { cancel: () => clearTimeout(t), unref: () => (t.unref(), timer) };
    return timer;
  },
};

/** A clock that only moves when told to: `advance` fires the timers that fall due, in order. For tests. */
export function createManualClock(startMs = Date.UTC(2025, 8, 24, 3, 20, 0)): Clock & {
  set(ms: number): void;
  advance(ms: number): void;
  /** Timers not fired yet. */
  pending(): number;
} {
  let t = startMs;
  let seq = 0;
  const timers = new Map<number, { atMs: number; fn: () => void }>();
  /** Moves time to `target`, firing each due timer at its own time (one set by a callback counts from then). */
  const runUntil = (target: number) => {
    // Bounded: each round fires one due timer.
    for (let round = 0; round < 1_000_000; round++) {
      let next: [number, { atMs: number; fn: () => void }] | null = null;
      for (const entry of timers) if (entry[1].atMs <= target && (next === null || entry[1].atMs < next[1].atMs)) next = entry;
      if (next === null) break;
      timers.delete(next[0]);
      t = Math.max(t, next[1].atMs);
      next[1].fn();
    }
    t = Math.max(t, target);
  };
  return {
    now: () => t,
    set: (ms) => {
      if (ms < t) t = ms;
      runUntil(ms);
    },
    advance: (ms) => runUntil(t + ms),
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { atMs: t + Math.max(0, ms), fn });
      const timer: Timer = { cancel: () => void timers.delete(id), unref: () => timer };
      return timer;
    },
    pending: () => timers.size,
  };
}
