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
  const runDue = () => {
    // Bounded: each round fires one due timer (a timer set for now by a callback fires in this advance).
    for (let round = 0; round < 1_000_000; round++) {
      let next: [number, { atMs: number; fn: () => void }] | null = null;
      for (const entry of timers) if (entry[1].atMs <= t && (next === null || entry[1].atMs < next[1].atMs)) next = entry;
      if (next === null) return;
      timers.delete(next[0]);
      next[1].fn();
    }
  };
  return {
    now: () => t,
    set: (ms) => {
      t = ms;
      runDue();
    },
    advance: (ms) => {
      t += ms;
      runDue();
    },
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { atMs: t + Math.max(0, ms), fn });
      const timer: Timer = { cancel: () => void timers.delete(id), unref: () => timer };
      return timer;
    },
    pending: () => timers.size,
  };
}
