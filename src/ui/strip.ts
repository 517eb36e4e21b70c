// The picture of a node's online/offline periods over a window (the last 24 h), from its history:
// pure, so that unit tests drive it with made-up events and times.
import type { NodeStatus } from '../domain/status.js';

/** One status change, as the node's `node.status` events record it. */
export interface StatusChange {
  timeMs: number;
  from: NodeStatus;
  to: NodeStatus;
}

/** A period of one status within the window. */
export interface Period {
  startMs: number;
  endMs: number;
  status: NodeStatus;
}

/**
 * The periods of [windowStartMs, nowMs]: before the first change in the window the node had that
 * change's `from` status (the history says so even when older events were pruned); after the last, its
 * current status. Nothing is drawn before the node was registered. `changes` may come in any order.
 */
export function periods(changes: readonly StatusChange[], current: NodeStatus, registeredMs: number, windowStartMs: number, nowMs: number): Period[] {
  const start = Math.max(windowStartMs, registeredMs);
  if (start >= nowMs) return [];
  const inWindow = changes.filter((c) => c.timeMs > start && c.timeMs <= nowMs).sort((a, b) => a.timeMs - b.timeMs);
  const out: Period[] = [];
  let from = start;
  let status: NodeStatus = inWindow[0]?.from ?? current;
  for (const c of inWindow) {
    if (c.timeMs > from) out.push({ startMs: from, endMs: c.timeMs, status });
    from = c.timeMs;
    status = c.to;
  }
  // The node's own status is the truth at the end (a change missing from the history does not hide it).
  out.push({ startMs: from, endMs: nowMs, status: current });
  // Neighbours of the same status (a report and a sweep recording the same side twice) become one.
  return out.reduce<Period[]>((acc, p) => {
    const last = acc.at(-1);
    if (last && last.status === p.status) last.endMs = p.endMs;
    else acc.push({ ...p });
    return acc;
  }, []);
}

/** Total time per status over the periods. */
export function totals(ps: readonly Period[]): Map<NodeStatus, number> {
  const t = new Map<NodeStatus, number>();
  for (const p of ps) t.set(p.status, (t.get(p.status) ?? 0) + p.endMs - p.startMs);
  return t;
}
