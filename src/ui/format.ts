// How the dashboard writes times and durations (pure; `now` is always passed in).

/** A duration as people read it: "12 s", "5 min", "3 h 20 min", "2 d 4 h". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** "12 s ago" (a time in the future, from a skewed clock, reads "in 3 s"); "never" for null. */
export function ago(timeMs: number | null, nowMs: number): string {
  if (timeMs === null) return 'never';
  return timeMs > nowMs + 999 ? `in ${duration(timeMs - nowMs)}` : `${duration(nowMs - timeMs)} ago`;
}
