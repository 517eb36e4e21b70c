// The store's reads, each once over a backend's statements: paging (keyset pages of summaries and of
// full records, forwards and backwards), the event reads (a filter read through an index per value and
// merged in id order), and the caches of the list, the statistics and the totals of filtered lists
// (version-cache.ts: never served after the change version moved, whichever process or master made the
// change).
import type { NodeSummary, StatusCount } from '../../domain/node.js';
import { fromEventRow, fromRow, type EventRow, type NodeRow } from '../rows.js';
import type { NodeFilter, NodeStore } from '../store.js';
import type { Plan } from './tx.js';
import { createVersionCache } from './version-cache.js';
import { fromWindowRow, type CoveragePlans, type WindowRow } from './maintenance.js';
import type { MaintenanceWindow } from '../../domain/maintenance.js';
import { createOutboxReads, type OutboxPlans } from './notifications.js';
import { createAvailabilityReads, type AvailabilityDialect } from './availability.js';
import type { GroupBy, GroupRow } from '../../domain/grouping.js';

/** A node's summary and its seq (a page's rows). */
export type SummaryRow = NodeSummary & { seq: number };

/** The statements of one filter (its parameters bound inside). */
export interface FilterPlans {
  /** Summaries after a seq, in seq order, at most `limit`. */
  page: Plan<[afterSeq: number, limit: number], SummaryRow>;
  recordsAfter: Plan<[seq: number, limit: number], NodeRow>;
  /** Records before a seq, nearest first (descending). */
  recordsBefore: Plan<[seq: number, limit: number], NodeRow>;
  anyAfter: Plan<[seq: number], { found: number | boolean }>;
  anyBefore: Plan<[seq: number], { found: number | boolean }>;
  count: Plan<[], { n: number }>;
  statistics: Plan<[], StatusCount>;
}

/** The read statements every backend supplies. */
export interface ReadPlans {
  nodeById: Plan<[id: string], NodeRow>;
  tokenHash: Plan<[id: string], { token_hash: string | null }>;
  changeVersion: Plan<[], { value: string }>;
  publishVersion: Plan<[], { value: string }>;
  statistics: Plan<[], StatusCount>;
  sweepPreview: Plan<[offlineBeforeMs: number], { goingOffline: number; online: number }>;
  getState: Plan<[key: string], { value: string }>;
  eventBounds: Plan<[], { oldest: number | null; last: string | number }>;
  nodeEvents: Plan<[nodeId: string, beforeId: number, limit: number], EventRow>;
  eventsAll: Plan<[after: number, limit: number], EventRow>;
  /** A node's events after `after` (of `types`, every type when empty), through the node index. */
  eventsOfNode: Plan<[nodeId: string, after: number, limit: number, types: readonly string[]], EventRow>;
  /** A type's events after `after`, through the type index. */
  eventsOfType: Plan<[type: string, after: number, limit: number], EventRow>;
  windowById: Plan<[id: string], WindowRow>;
  /** Degraded nodes and nodes in maintenance (SPEC §13, §14: the partial indexes count them). */
  healthCounts: Plan<[], { degraded: number; in_maintenance: number }>;
  /** The failing components of degraded nodes, with how many nodes each fails on, most first. */
  failingComponents: Plan<[], { component: string; count: number }>;
  /** Every maintenance window, newest first. */
  allWindows: Plan<[], WindowRow>;
}

/** What a backend supplies to the reads. */
export interface ReadDialect {
  plans: ReadPlans;
  /** Every row of a statement (a failing database answers the API's 503). */
  read: <A extends readonly unknown[], R>(p: Plan<A, R>, ...args: A) => Promise<R[]>;
  /** The statements of a filter. */
  filter(f: NodeFilter): FilterPlans;
  /** The JSON document of GET /nodes (every summary by ID number), rendered by the backend, UTF-8. */
  listDocument(): Promise<Buffer>;
  /** The statements of a maintenance window's coverage. */
  coverage(w: MaintenanceWindow): CoveragePlans;
  /** Notifications' statements (SPEC §15). */
  outbox: OutboxPlans;
  /** Availability's statements (SPEC §17). */
  availability: AvailabilityDialect;
  /** The statement of a filter's statistics by a field or label key (SPEC §17): a row per key and status. */
  grouped(f: NodeFilter, by: GroupBy): Plan<[], GroupRow>;
}

/** The number part of a node ID (its `seq`: an ID is a prefix that does not end with a digit, then it). */
export const seqOf = (id: string) => Number(/(\d+)$/.exec(id)?.[1] ?? 0);

const summaryOf = (r: SummaryRow): NodeSummary => ({ id: r.id, name: r.name, status: r.status, type: r.type, version: r.version });
const found = (r: { found: number | boolean } | undefined) => r !== undefined && Boolean(r.found);

/** The first `limit` events of several pages (each in id order), in id order. */
function mergeEvents(pages: EventRow[][], limit: number) {
  const rows = pages.length === 1 ? pages[0]! : pages.flat().sort((a, b) => a.id - b.id);
  return rows.slice(0, limit).map(fromEventRow);
}

/** The store's reads over `dialect`. */
export function createReads(dialect: ReadDialect): Pick<NodeStore, 'get' | 'tokenHash' | 'listDocument' | 'statistics' | 'changeVersion' | 'publishVersion' | 'sweepPreview' | 'getState' | 'events' | 'nodeEvents' | 'eventBounds' | 'listPage' | 'browse' | 'statisticsOf' | 'window' | 'windows' | 'windowCoverage' | 'fleetHealth' | 'statisticsBy'> & ReturnType<typeof createOutboxReads> & ReturnType<typeof createAvailabilityReads> {
  const { plans: p, read } = dialect;
  const first = async <A extends readonly unknown[], R>(plan: Plan<A, R>, ...args: A) => (await read(plan, ...args))[0];
  const changeVersion = async () => (await first(p.changeVersion))!.value;
  const listCache = createVersionCache<null, Buffer>({ key: () => '', version: changeVersion, build: () => dialect.listDocument(), bytesOf: (b) => b.length, maxEntries: 1 });
  const statsCache = createVersionCache<null, StatusCount[]>({ key: () => '', version: changeVersion, build: () => read(p.statistics), maxEntries: 1 });
  // Counting is a scan of the matching nodes; a dashboard asks the same filter page after page.
  const counts = createVersionCache<{ f: NodeFilter; q: FilterPlans }, number>({
    key: ({ f }) => JSON.stringify(f), version: changeVersion, build: async ({ q }) => (await first(q.count))!.n, maxEntries: 256,
  });
  const totalOf = (f: NodeFilter, q: FilterPlans) => counts({ f, q });
  // A grouping reads every selected node: the dashboard and scripts ask the same one again and again.
  const groupings = createVersionCache<{ f: NodeFilter; by: GroupBy }, GroupRow[]>({
    key: (k) => JSON.stringify(k), version: changeVersion, build: ({ f, by }) => read(dialect.grouped(f, by)), maxEntries: 64,
  });
  return {
    get: async (id) => {
      const row = await first(p.nodeById, id);
      return row ? fromRow(row) : null;
    },
    tokenHash: async (id) => (await first(p.tokenHash, id))?.token_hash ?? null,
    window: async (id) => {
      const row = await first(p.windowById, id);
      return row ? fromWindowRow(row) : null;
    },
    windows: async () => (await read(p.allWindows)).map(fromWindowRow),
    windowCoverage: async (w) => (await first(dialect.coverage(w).count))!.n,
    async fleetHealth() {
      const [counts, components] = await Promise.all([first(p.healthCounts), read(p.failingComponents)]);
      return { degraded: Number(counts!.degraded), inMaintenance: Number(counts!.in_maintenance), components: components.map((c) => ({ component: c.component, count: Number(c.count) })) };
    },
    listDocument: () => listCache(null),
    ...createOutboxReads(dialect.outbox, read),
    ...createAvailabilityReads(dialect.availability, read, changeVersion),
    statistics: () => statsCache(null),
    statisticsOf: (filter) => read(dialect.filter(filter).statistics),
    statisticsBy: (filter, by) => groupings({ f: filter, by }),
    changeVersion,
    publishVersion: async () => (await first(p.publishVersion))!.value,
    sweepPreview: async (cutoffs) => (await first(p.sweepPreview, cutoffs.offlineBeforeMs))!,
    getState: async (key) => (await first(p.getState, key))?.value ?? null,
    // The page and its total at once (on PostgreSQL, two connections: one round trip to wait for).
    listPage: async (filter, after, limit) => {
      const q = dialect.filter(filter);
      const [rows, total] = await Promise.all([read(q.page, after === null ? -1 : seqOf(after), limit + 1), totalOf(filter, q)]);
      const page = rows.slice(0, limit);
      return { doc: Buffer.from(JSON.stringify(page.map(summaryOf)), 'utf8'), total, next: rows.length > limit ? page.at(-1)!.id : null };
    },
    browse: async (filter, cursor, limit) => {
      const q = dialect.filter(filter);
      const totalRead = totalOf(filter, q);
      totalRead.catch(() => undefined); // awaited below; a page read that fails first must not leave it unhandled
      if ('before' in cursor) {
        const rows = await read(q.recordsBefore, seqOf(cursor.before), limit + 1);
        const page = rows.slice(0, limit).reverse();
        const last = page.at(-1);
        const next = last && found(await first(q.anyAfter, last.seq)) ? last.id : null;
        return { nodes: page.map(fromRow), total: await totalRead, prev: rows.length > limit ? page[0]!.id : null, next };
      }
      const rows = await read(q.recordsAfter, cursor.after === null ? -1 : seqOf(cursor.after), limit + 1);
      const page = rows.slice(0, limit);
      const head = page[0];
      const prev = cursor.after !== null && head && found(await first(q.anyBefore, head.seq)) ? head.id : null;
      return { nodes: page.map(fromRow), total: await totalRead, next: rows.length > limit ? page.at(-1)!.id : null, prev };
    },
    // A node filter reads each node's events through the node index, a type filter each type's through
    // the type index, and the pages are merged: a filter never walks the whole table from the cursor.
    events: async (query) => {
      if (query.nodeIds.length > 0) return mergeEvents(await Promise.all([...new Set(query.nodeIds)].map((id) => read(p.eventsOfNode, id, query.after, query.limit, query.types))), query.limit);
      if (query.types.length > 0) return mergeEvents(await Promise.all([...new Set(query.types)].map((t) => read(p.eventsOfType, t, query.after, query.limit))), query.limit);
      return (await read(p.eventsAll, query.after, query.limit)).map(fromEventRow);
    },
    nodeEvents: async (nodeId, beforeId, limit) => (await read(p.nodeEvents, nodeId, beforeId ?? Number.MAX_SAFE_INTEGER, limit)).map(fromEventRow),
    eventBounds: async () => {
      const r = (await first(p.eventBounds))!;
      return { oldest: r.oldest === null ? null : Number(r.oldest), last: Number(r.last) };
    },
  };
}
