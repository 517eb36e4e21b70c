// Availability and the fleet's history as people ask for them (SPEC §17): a window's nodes page by page
// or as CSV, one node, a selection by groups, the fleet's counts over time. The sums are the store's
// (storage/core/availability.ts); the rules and shapes are domain/availability.ts's.
import type { Clock } from '../clock.js';
import {
  AVAILABILITY_WINDOWS, NODE_CSV_HEADER, csvLine, nodeAvailability, nodeCsvLine, totalAvailability,
  type AvailabilityTotals, type AvailabilityWindow, type HistoryWindow,
} from '../domain/availability.js';
import type { GroupBy } from '../domain/grouping.js';
import { rfc3339 } from '../domain/time.js';
import type { NodeFilter, NodeStore } from '../storage/store.js';
import { seqOf } from '../storage/core/reads.js';

/** Rows of CSV read per step (the export's memory is one step's). */
const CSV_STEP = 5_000;

/** The window's part of every answer: its name, bounds, and whether retention cut it (then `from` is where it is whole). */
function windowHead(window: string, fromMs: number, toMs: number, cutMs: number | null) {
  const cut = cutMs !== null && cutMs > fromMs;
  return { window, from: rfc3339(cut ? cutMs : fromMs), to: rfc3339(toMs), complete: !cut };
}

const NONE: AvailabilityTotals = { nodes: 0, onlineMs: 0, monitoredMs: 0, offlineMs: 0, maintenanceMs: 0, incidents: 0, cutMs: null };

/** The use cases of availability and the fleet's history. */
export function createAvailability(deps: { store: NodeStore; clock: Clock }) {
  const { store, clock } = deps;
  const spanOf = (window: AvailabilityWindow) => {
    const toMs = clock.now();
    return { fromMs: toMs - AVAILABILITY_WINDOWS[window], toMs };
  };
  return {
    /** A page of the selection's nodes with the selection's total (SPEC §17); `next`: the next page's `after`. */
    async page(filter: NodeFilter, window: AvailabilityWindow, after: string | null, limit: number) {
      const span = spanOf(window);
      const [[total = NONE], page] = await Promise.all([
        store.availabilityTotals(filter, span, null),
        store.availabilityPage(filter, span, { afterSeq: after === null ? 0 : seqOf(after), limit }),
      ]);
      const nodes = page.nodes.map((n) => nodeAvailability(n, span.toMs, rfc3339));
      return { body: { ...windowHead(window, span.fromMs, span.toMs, total.cutMs), total: totalAvailability(total), nodes }, next: page.nextSeq === null ? null : nodes.at(-1)!.id };
    },
    /** Every node of the selection as CSV lines (a header first), read in bounded steps. */
    async *csv(filter: NodeFilter, window: AvailabilityWindow): AsyncGenerator<string> {
      const span = spanOf(window);
      yield NODE_CSV_HEADER;
      let afterSeq = 0;
      for (let step = 0; step < 10_000; step++) {
        const page = await store.availabilityPage(filter, span, { afterSeq, limit: CSV_STEP });
        yield page.nodes.map((n) => nodeCsvLine(nodeAvailability(n, span.toMs, rfc3339))).join('');
        if (page.nextSeq === null) return;
        afterSeq = page.nextSeq;
      }
    },
    /** One node's availability over `window`, or null when there is no such node. */
    async node(id: string, window: AvailabilityWindow) {
      const span = spanOf(window);
      const sums = await store.nodeAvailability(id, span);
      if (sums === null) return null;
      const { complete: _complete, from: _from, ...shown } = nodeAvailability(sums, span.toMs, rfc3339);
      return { ...windowHead(window, span.fromMs, span.toMs, sums.cutMs), ...shown };
    },
    /** The selection's availability by a field or a label key; the groups without a key last. */
    async groups(filter: NodeFilter, window: AvailabilityWindow, by: GroupBy) {
      const span = spanOf(window);
      const rows = await store.availabilityTotals(filter, span, by);
      const cutMs = rows.reduce<number | null>((m, r) => (r.cutMs !== null && (m === null || r.cutMs > m) ? r.cutMs : m), null);
      return { ...windowHead(window, span.fromMs, span.toMs, cutMs), groups: rows.map((r) => ({ key: r.key, ...totalAvailability(r) })) };
    },
    /** The groups as CSV. */
    groupsCsv(answer: { groups: ReadonlyArray<{ key: string | null } & ReturnType<typeof totalAvailability>> }): string {
      const head = csvLine(['key', 'nodes', 'online_ratio', 'offline_seconds', 'incidents', 'maintenance_seconds']);
      return head + answer.groups.map((g) => csvLine([g.key, g.nodes, g.online_ratio, g.offline_seconds, g.incidents, g.maintenance_seconds])).join('');
    },
    /** The fleet's capacity: of the online nodes and of all (cached until the fleet changes). */
    capacity: () => store.capacity(),
    /** The fleet's counts over `window` every `stepMs`, the last point now (SPEC §17). */
    async history(window: HistoryWindow, windowMs: number, stepMs: number) {
      const nowMs = clock.now();
      const { points, wholeFromMs } = await store.fleetHistory(nowMs, stepMs, windowMs / stepMs);
      const head = windowHead(window, points[0]!.time, nowMs, wholeFromMs > 0 ? wholeFromMs : null);
      return { ...head, step_seconds: stepMs / 1000, points: points.map((p) => ({ ...p, time: rfc3339(p.time) })) };
    },
  };
}

/** The availability use cases. */
export type Availability = ReturnType<typeof createAvailability>;
