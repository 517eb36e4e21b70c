// Availability and the fleet's history (SPEC §17) from a known history, to the millisecond, on every
// backend (called by contract.ts inside its describe, with its store).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeAvailability, totalAvailability } from '../../src/domain/availability.js';
import type { NodeStatus } from '../../src/domain/status.js';
import { rfc3339 } from '../../src/domain/time.js';
import { parseSelector } from '../../src/domain/selector.js';
import type { RegistrationInput } from '../../src/domain/node.js';
import type { NodeStore } from '../../src/storage/store.js';

const H = 3_600_000;
const T0 = Date.UTC(2025, 9, 1, 0, 0, 0);
const DAY = { fromMs: T0, toMs: T0 + 24 * H };
const all = { selector: [], q: null };

const reg = (name: string, metaData: Record<string, unknown> = {}): RegistrationInput => ({ id: null, name, type: 'agent', version: '1', metaData: { hostname: name, ...metaData } });

export function availabilityCases(store: () => NodeStore): void {
  const s = () => store();
  const node = async (name: string, atMs: number, metaData: Record<string, unknown> = {}) => {
    const out = await s().register(reg(name, metaData), atMs, 'A');
    assert.equal(out.kind, 'created');
    return out.kind === 'created' ? out.node.id : '';
  };
  const set = (id: string, status: NodeStatus, atMs: number) => s().update(id, (n) => ({ ...n, status, lastUpdatedMs: atMs }));
  const seconds = (h: number) => (h * H) / 1000;

  /**
   * A1: registered an hour before the window, online; offline 2h–3h (an incident); in a maintenance
   * window 10h–12h, going offline inside it at 11h and still offline when it ends (an incident: it is
   * offline outside the window from 12h), online at 13h. A2: registered at 6h, first report at 6h30.
   */
  const knownDay = async () => {
    const a1 = await node('a1', T0 - H, { user: 'alice' });
    await set(a1, 'online', T0 - H + 60_000);
    await set(a1, 'offline', T0 + 2 * H);
    await set(a1, 'online', T0 + 3 * H);
    await s().createWindow({ selectorText: 'id=A1', selector: parseSelector('id=A1'), nodes: [], reason: 'bios', actor: 'admin', startsAtMs: T0 + 10 * H, endsAtMs: T0 + 12 * H }, T0);
    await s().applyMaintenance(T0 + 10 * H, false);
    await set(a1, 'offline', T0 + 11 * H);
    await s().applyMaintenance(T0 + 12 * H, false);
    await set(a1, 'online', T0 + 13 * H);
    const a2 = await node('a2', T0 + 6 * H, { user: 'bob' });
    await set(a2, 'online', T0 + 6.5 * H);
    return { a1, a2 };
  };

  describe('availability and the fleet history (SPEC §17)', () => {
    it('computes each node exactly: maintenance left out, counting from a registration inside the window', async () => {
      await knownDay();
      const { nodes, nextSeq } = await s().availabilityPage(all, DAY, null);
      assert.equal(nextSeq, null);
      assert.deepEqual(nodes.map((n) => nodeAvailability(n, DAY.toMs, rfc3339)), [
        { id: 'A1', online_ratio: Math.round((20 / 22) * 1e6) / 1e6, offline_seconds: seconds(2), incidents: 2, maintenance_seconds: seconds(2) },
        { id: 'A2', online_ratio: Math.round((17.5 / 18) * 1e6) / 1e6, offline_seconds: 0, incidents: 0, maintenance_seconds: 0 },
      ]);
      assert.deepEqual(nodes.map((n) => [n.onlineMs, n.startMs]), [[20 * H, T0], [17.5 * H, T0 + 6 * H]], 'to the millisecond');
      const [total] = await s().availabilityTotals(all, DAY, null);
      assert.deepEqual(totalAvailability(total!), { nodes: 2, online_ratio: Math.round((37.5 / 40) * 1e6) / 1e6, offline_seconds: seconds(2), incidents: 2, maintenance_seconds: seconds(2) });
      assert.equal(total!.cutMs, null, 'complete');
      const one = await s().nodeAvailability('A1', { fromMs: T0 + 2.5 * H, toMs: T0 + 24 * H });
      assert.deepEqual([one!.onlineMs, one!.offlineMs, one!.maintenanceMs, one!.incidents], [18 * H, 1.5 * H, 2 * H, 1], 'a window starting inside an outage');
      assert.equal(await s().nodeAvailability('A9', DAY), null);
    });

    it('pages by ID number, groups by a field, and selects', async () => {
      await knownDay();
      const first = await s().availabilityPage(all, DAY, { afterSeq: 0, limit: 1 });
      assert.deepEqual([first.nodes.map((n) => n.id), first.nextSeq], [['A1'], 1]);
      const second = await s().availabilityPage(all, DAY, { afterSeq: 1, limit: 1 });
      assert.deepEqual([second.nodes.map((n) => n.id), second.nextSeq], [['A2'], null]);
      const groups = await s().availabilityTotals(all, DAY, { kind: 'meta', path: ['user'] });
      assert.deepEqual(groups.map((g) => [g.key, g.nodes, g.onlineMs, g.monitoredMs]), [['alice', 1, 20 * H, 22 * H], ['bob', 1, 17.5 * H, 18 * H]]);
      const selected = await s().availabilityPage({ selector: parseSelector('status=online,id=A2'), q: null }, DAY, null);
      assert.deepEqual(selected.nodes.map((n) => n.id), ['A2']);
    });

    it('says where retention cut the window: by age for the fleet, by the per-node limit for one node', async () => {
      await knownDay();
      // By age: the events up to 2h are gone; A1's history is whole from its offline event at 2h.
      await s().foldHistory(T0 + 24 * H);
      await s().pruneEvents({ olderThanMs: T0 + 2 * H + 1, maxPerNode: 1000 });
      const [a1, a2] = (await s().availabilityPage(all, DAY, null)).nodes;
      assert.deepEqual([a1!.cutMs, a1!.startMs, a1!.onlineMs, a1!.offlineMs, a1!.incidents], [T0 + 2 * H, T0 + 2 * H, 18 * H, 2 * H, 1]);
      assert.equal(nodeAvailability(a1!, DAY.toMs, rfc3339).from, rfc3339(T0 + 2 * H));
      assert.deepEqual([a2!.cutMs, a2!.onlineMs], [null, 17.5 * H], 'registered after the cut: whole');
      // By the per-node limit: a node with many changes keeps its newest 10 events.
      const d = await node('d', T0 - 24 * H);
      await set(d, 'online', T0 - 24 * H + 60_000);
      for (let h = 3; h <= 12; h++) await set(d, h % 2 === 1 ? 'offline' : 'online', T0 + h * H);
      await s().foldHistory(T0 + 24 * H);
      await s().pruneEvents({ olderThanMs: 0, maxPerNode: 9 });
      const cut = (await s().nodeAvailability(d, DAY))!;
      assert.deepEqual([cut.cutMs, cut.onlineMs, cut.offlineMs, cut.incidents], [T0 + 3 * H, 16 * H, 5 * H, 4], 'whole from its newest deleted change (offline at 3h)');
      const [total] = await s().availabilityTotals(all, DAY, null);
      assert.equal(total!.cutMs, T0 + 3 * H, 'the latest cut');
    });

    it("keeps the fleet's history exact when retention deletes the events it was folded from (retention folds first)", async () => {
      await knownDay();
      const before = await s().fleetHistory(T0 + 24 * H, 300_000, 288);
      assert.ok((await s().foldHistory(T0 + 24 * H)) > 0);
      assert.deepEqual(await s().fleetHistory(T0 + 24 * H, 300_000, 288), before, 'folded: the same');
      await set('A2', 'offline', T0 + 23 * H); // not folded yet: retention folds it before it deletes
      await s().pruneEvents({ olderThanMs: T0 + 48 * H, maxPerNode: 1000 });
      assert.deepEqual(await s().events({ after: 0, limit: 100, types: [], nodeIds: [] }), [], 'every event deleted');
      const { points } = await s().fleetHistory(T0 + 24 * H, 300_000, 288);
      assert.deepEqual(points.slice(0, 275), before.points.slice(0, 275), 'before 23h, as before the events went');
      assert.deepEqual(points.slice(275).map((p) => [p.online, p.offline]), Array(13).fill([1, 1]), 'from 23h, A2 offline');
    });

    it('sums the capacity of the online nodes and of all, numbers only', async () => {
      const a = await node('c1', T0, { cpu_number: 16, gpu_number: 8, memory_in_bytes: 1_000 });
      const b = await node('c2', T0, { cpu_number: 8, gpu_number: 4, memory_in_bytes: 500 });
      await node('c3', T0, { cpu_number: '4', gpu_number: 2.5 });
      await set(a, 'online', T0 + H);
      await set(b, 'offline', T0 + H);
      assert.deepEqual(await s().capacity(), {
        online: { cpu_number: 16, gpu_number: 8, memory_in_bytes: 1_000 },
        total: { cpu_number: 24, gpu_number: 14.5, memory_in_bytes: 1_500 },
      });
      await set(b, 'online', T0 + 2 * H);
      assert.equal((await s().capacity()).online.gpu_number, 12, 'follows a change');
      await s().register(reg('c1', { cpu_number: 16, gpu_number: 2 }), T0 + 3 * H, 'A'); // re-registered with other meta_data
      assert.deepEqual((await s().capacity()).online, { cpu_number: 24, gpu_number: 6, memory_in_bytes: 500 }, 'follows meta_data');
    });

    it("walks the fleet's counts back from now, hour by hour; the last point is the current counts", async () => {
      await knownDay();
      const { points, wholeFromMs } = await s().fleetHistory(T0 + 24 * H, H, 25);
      assert.equal(points.length, 25, 'the hours, the last of them now');
      const at = (h: number) => points.find((p) => p.time === T0 + h * H)!;
      assert.deepEqual(at(0), { time: T0, online: 1, offline: 0, initialized: 0, degraded: 0, maintenance: 0 });
      assert.deepEqual([at(2).online, at(2).offline], [0, 1], 'a change counts from its own time');
      assert.deepEqual([at(6).online, at(6).initialized], [1, 1]);
      assert.deepEqual([at(11).online, at(11).offline, at(11).maintenance], [1, 1, 1]);
      assert.deepEqual([at(12).offline, at(12).maintenance], [1, 0]);
      assert.deepEqual(at(24), { time: T0 + 24 * H, online: 2, offline: 0, initialized: 0, degraded: 0, maintenance: 0 });
      assert.equal(wholeFromMs, 0, 'whole since the database was made');
      await s().deregister('A2', 'admin', T0 + 23.5 * H);
      const after = await s().fleetHistory(T0 + 24 * H, H, 25);
      assert.deepEqual([after.points.at(-1)!.online, after.points.find((p) => p.time === T0 + 23 * H)!.online], [1, 2], 'a removed node counted until it left');
    });
  });
}
