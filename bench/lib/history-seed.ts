// Thirty days of a fleet's events, as the master would hold them with its defaults (issue 27): on top of
// `seed`'s online nodes, registered 31 days ago, 1% of the fleet flapping for the whole month (offline
// for 200 s every 10 minutes, the bench's flapping day: 288 outages a day each), of which the per-node
// limit (EVENTS_MAX_PER_NODE, 1,000) keeps the newest 1,000 events and records where it cut; 10% of the
// others with one 10-minute outage in the month; 1% in a 2-hour maintenance window. The state codes and
// bodies are the store's own (domain/events.ts). Bounded: nodes × their events.
import Database from 'better-sqlite3';
import { nodeMaintenanceEvent, renderEvent, statusEvent, type EventDraft } from '../../src/domain/events.js';

/** The counts of the fleet's history, as the store folds them (core/availability.ts COUNT_TESTS). */
const COUNTS: Array<(code: number) => boolean> = [(x) => (x & 3) === 2, (x) => (x & 3) === 3, (x) => (x & 3) === 1, (x) => (x & 4) === 4, (x) => (x & 8) === 8];
const MIN = 60_000;
const DAY = 86_400_000;
const KEEP = 1000;

interface Drafted {
  timeMs: number;
  draft: EventDraft;
}

const status = (id: string, from: 'online' | 'offline', to: 'online' | 'offline', atMs: number, maintenance: string | null = null): Drafted => ({
  timeMs: atMs, draft: statusEvent(id, from, { status: to, healthState: 'healthy', maintenance }, to === 'offline' ? 'sweep' : 'report'),
});

/** Node `seq`'s events over the 30 days before `nowMs`, oldest first, and where the per-node limit cut them. */
function eventsOf(seq: number, nowMs: number): { events: Drafted[]; folded?: Drafted[]; cutMs: number | null } {
  const id = `A${seq}`;
  const start = nowMs - 30 * DAY;
  if (seq % 100 === 0) {
    const all: Drafted[] = [];
    const phase = (seq * 7_919) % (10 * MIN);
    for (let t = start + phase; t + 200_000 < nowMs; t += 10 * MIN) all.push(status(id, 'online', 'offline', t), status(id, 'offline', 'online', t + 200_000));
    return { events: all.slice(-KEEP), folded: all.slice(0, -KEEP), cutMs: all.length > KEEP ? all[all.length - KEEP - 1]!.timeMs : null };
  }
  if (seq % 100 === 50) {
    const w = 'M1';
    const at = start + 12 * DAY + (seq % 97) * MIN;
    const inside = { status: 'online' as const, healthState: 'healthy' as const };
    return { events: [{ timeMs: at, draft: nodeMaintenanceEvent(id, w, true, inside) }, { timeMs: at + 2 * 3_600_000, draft: nodeMaintenanceEvent(id, w, false, inside, 'online') }], cutMs: null };
  }
  if (seq % 10 === 3) {
    const at = start + (seq % 29) * DAY + (seq % 1_440) * MIN;
    return { events: [status(id, 'online', 'offline', at), status(id, 'offline', 'online', at + 10 * MIN)], cutMs: null };
  }
  return { events: [], cutMs: null };
}

/** Writes the month into a seeded database (`seed` first); returns how many events. */
export function seedHistory(dbPath: string, nodes: number, nowMs: number): { events: number; flapping: number } {
  const db = new Database(dbPath);
  try {
    const all: Array<Drafted & { nodeId: string }> = [];
    const cuts: Array<[number, number]> = [];
    // The fleet's history as the sweeping process folds it (history_buckets), the deleted events' included.
    const buckets = new Map<number, number[]>();
    const fold = (e: Drafted) => {
      if (e.timeMs < nowMs - 8 * DAY) return;
      const b = Math.floor((e.timeMs - 1) / 300_000) * 300_000;
      const sums = buckets.get(b) ?? [0, 0, 0, 0, 0];
      buckets.set(b, sums);
      const [before, after] = e.draft.states!;
      COUNTS.forEach((test, i) => (sums[i]! += Number(test(after)) - Number(test(before))));
    };
    for (let seq = 1; seq <= nodes; seq++) {
      const { events, folded, cutMs } = eventsOf(seq, nowMs);
      for (const e of events) all.push({ ...e, nodeId: `A${seq}` });
      for (const e of [...(folded ?? []), ...events]) fold(e);
      if (cutMs !== null) cuts.push([seq, cutMs]);
    }
    all.sort((a, b) => a.timeMs - b.timeMs);
    const insert = db.prepare('INSERT INTO events (id, time, type, node_id, body, state_before, state_after) VALUES (?, ?, ?, ?, ?, ?, ?)');
    db.transaction(() => {
      const base = Number((db.prepare("SELECT value FROM kv WHERE key = 'event_id_counter'").get() as { value: string }).value);
      all.forEach((e, i) => insert.run(base + i + 1, e.timeMs, e.draft.type, e.nodeId, renderEvent(base + i + 1, e.timeMs, e.draft), e.draft.states![0], e.draft.states![1]));
      db.prepare("UPDATE kv SET value = ? WHERE key = 'event_id_counter'").run(String(base + all.length));
      // Registered 31 days ago: retention by age deleted those events (the fleet's history is whole since).
      db.prepare('UPDATE nodes SET register_time = ?').run(nowMs - 31 * DAY);
      db.prepare("UPDATE kv SET value = ? WHERE key = 'history_from'").run(String(nowMs - 31 * DAY));
      const cut = db.prepare('UPDATE nodes SET history_from = ? WHERE seq = ?');
      for (const [seq, at] of cuts) cut.run(at, seq);
      const bucket = db.prepare('INSERT INTO history_buckets (bucket, online, offline, initialized, degraded, maintenance) VALUES (?, ?, ?, ?, ?, ?)');
      for (const [b, sums] of buckets) bucket.run(b, ...sums);
      db.prepare("UPDATE kv SET value = ? WHERE key = 'history_cursor'").run(String(base + all.length));
      // A master that ran for the month has looked at every event for the per-node limit (the seed keeps it).
      db.prepare("UPDATE kv SET value = ? WHERE key = 'retention_cursor'").run(String(base + all.length));
      db.prepare("UPDATE kv SET value = ? WHERE key = 'history_buckets_from'").run(String(nowMs - 31 * DAY));
    })();
    return { events: all.length, flapping: cuts.length };
  } finally {
    db.close();
  }
}
