// The NodeStore contract: written once, run against every backend (see sqlite.test.ts).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { NodeRecord, RegistrationInput, StatusTransition } from '../../src/domain/node.js';
import { renderNodesFile } from '../../src/domain/nodes-file-entry.js';
import { statusOf, sweepCutoffs, type NodeStatus } from '../../src/domain/status.js';
import { toTargetGroups, type TargetGroup } from '../../src/domain/prometheus-sd.js';
import type { NodeFilter, NodeStore, TargetGroupsQuery } from '../../src/storage/store.js';
import { summaries } from '../helpers/fixtures.js';
import { SELECTOR_CASES, SELECTOR_NODES } from '../helpers/selector-cases.js';
import { filterRequirements, parseSelector } from '../../src/domain/selector.js';
import { matches } from '../../src/domain/selector-match.js';
import { availabilityCases } from './availability-contract.js';

/** What a backend provides to the contract suite. */
export interface StoreHarness {
  store: NodeStore;
  /** Closes the store and opens it again on the same data (a restart). */
  reopen(): Promise<NodeStore>;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2025, 8, 24, 3, 20, 0);

export function reg(name: string, extra: Partial<RegistrationInput> = {}): RegistrationInput {
  return { id: null, name, type: 'agent', version: '1.1.0', metaData: { hostname: name, ip: '10.0.0.1', user: 'u' }, ...extra };
}

/**
 * The full records of the nodes having one of `statuses`, by ID number: what the domain renders
 * nodes.json and the target groups from, the reference the store's own renderings are held to.
 */
export async function recordsWithStatus(store: NodeStore, statuses: readonly NodeStatus[]): Promise<NodeRecord[]> {
  const ids = (await summaries(store)).filter((n) => statuses.includes(n.status)).map((n) => n.id);
  return Promise.all(ids.map(async (id) => (await store.get(id))!));
}

async function created(store: NodeStore, name: string, nowMs = T0) {
  const out = await store.register(reg(name), nowMs, 'A');
  assert.equal(out.kind, 'created');
  return out.kind === 'created' ? out.node : assert.fail();
}

/** Runs the whole contract against the backend `name`. */
export function describeNodeStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`NodeStore contract: ${name}`, () => {
    let h: StoreHarness;
    let store: NodeStore;
    beforeEach(async () => {
      h = await open();
      store = h.store;
    });
    afterEach(async () => {
      await store.close();
      await h.cleanup();
    });

    describe('operational state', () => {
      it('puts, reads and deletes a piece of state; prunes the expired ones of a prefix only', async () => {
        await store.putState('session:a', JSON.stringify({ expiresMs: T0 - 1 }));
        await store.putState('session:b', JSON.stringify({ expiresMs: T0 + 1 }));
        await store.putState('sessionx', JSON.stringify({ expiresMs: T0 - 1 }));
        await store.putState('other:c', JSON.stringify({ expiresMs: T0 - 1 }));
        assert.equal(await store.getState('session:a'), JSON.stringify({ expiresMs: T0 - 1 }));
        assert.equal(await store.pruneExpiredState('session:', T0), 1);
        assert.deepEqual(await Promise.all(['session:a', 'session:b', 'sessionx', 'other:c'].map((k) => store.getState(k))), [
          null, JSON.stringify({ expiresMs: T0 + 1 }), JSON.stringify({ expiresMs: T0 - 1 }), JSON.stringify({ expiresMs: T0 - 1 }),
        ]);
        await store.deleteState('session:b');
        await store.deleteState('session:none');
        assert.equal(await store.getState('session:b'), null);
      });
    });

    describe('register', () => {
      it('creates an initialized node with the prefix + 1 and empty state', async () => {
        const node = await created(store, 'n1');
        assert.deepEqual(node, {
          id: 'A1', name: 'n1', type: 'agent', version: '1.1.0', status: 'initialized',
          config: {}, label: [], metaData: { hostname: 'n1', ip: '10.0.0.1', user: 'u' }, health: {},
          registerTimeMs: T0, lastReportMs: null, agentLastReportMs: null, lastUpdatedMs: T0, statusSinceMs: T0, flapping: false, flapTimesMs: [], tokenHash: null,
          healthState: 'unknown', conditions: [], maintenance: null, maintenanceStatus: null,
        });
        assert.deepEqual(await store.get('A1'), node);
      });

      it('allocates increasing IDs with the prefix it is given', async () => {
        assert.equal((await created(store, 'n1')).id, 'A1');
        assert.equal((await created(store, 'n2')).id, 'A2');
        const out = await store.register(reg('n3'), T0, 'node-');
        assert.equal(out.kind === 'created' && out.node.id, 'node-3');
      });

      it('returns the same node for a known name without an id, updating only type, version, meta_data', async () => {
        await created(store, 'n1');
        await store.update('A1', (n) => ({ ...n, status: 'online', config: { a: 1 }, label: ['x'], health: { h: {} }, lastReportMs: T0 + 1, agentLastReportMs: T0 + 2 }));
        const out = await store.register(reg('n1', { type: 'agent2', version: '2.0', metaData: { ip: '10.9.9.9' } }), T0 + 5, 'A');
        assert.equal(out.kind, 'updated');
        if (out.kind !== 'updated') return;
        assert.equal(out.before.version, '1.1.0');
        assert.deepEqual(out.node, {
          id: 'A1', name: 'n1', type: 'agent2', version: '2.0', status: 'online', config: { a: 1 }, label: ['x'],
          metaData: { ip: '10.9.9.9' }, health: { h: {} }, registerTimeMs: T0, lastReportMs: T0 + 1,
          agentLastReportMs: T0 + 2, lastUpdatedMs: T0 + 5, statusSinceMs: T0, flapping: false, flapTimesMs: [], tokenHash: null,
          healthState: 'unknown', conditions: [], maintenance: null, maintenanceStatus: null,
        });
        assert.equal((await summaries(store)).length, 1, 'no duplicate node for a name');
      });

      it('updates the node named by a known id when the names match', async () => {
        await created(store, 'n1');
        const out = await store.register(reg('n1', { id: 'A1', version: '9' }), T0, 'A');
        assert.equal(out.kind, 'updated');
        assert.equal((await store.get('A1'))!.version, '9');
      });

      it('stores the token hash of a new node, given its allocated ID, and keeps it on updates', async () => {
        const out = await store.register(reg('n1'), T0, 'A', { tokenHashFor: (id) => `hash-of-${id}` });
        assert.equal(out.kind === 'created' && out.node.tokenHash, 'hash-of-A1');
        assert.equal(await store.tokenHash('A1'), 'hash-of-A1');
        assert.equal(await store.tokenHash('A2'), null, 'no such node');
        await created(store, 'tokenless');
        assert.equal(await store.tokenHash('A2'), null, 'no token issued');
        await store.register(reg('n1', { version: '2' }), T0, 'A');
        await store.update('A1', (n) => ({ ...n, label: ['x'] }));
        assert.equal((await store.get('A1'))!.tokenHash, 'hash-of-A1');
        await store.update('A1', (n) => ({ ...n, tokenHash: 'rotated' }));
        assert.equal((await store.get('A1'))!.tokenHash, 'rotated');
      });

      it('runs the guard with the node it would update, and a throwing guard changes nothing', async () => {
        const seen: Array<string | null> = [];
        await store.register(reg('n1'), T0, 'A', { guard: (e) => seen.push(e?.id ?? null) });
        await store.register(reg('n1'), T0, 'A', { guard: (e) => seen.push(e?.id ?? null) });
        assert.deepEqual(seen, [null, 'A1']);
        await assert.rejects(store.register(reg('n2'), T0, 'A', { guard: () => { throw new Error('no'); } }), /no/);
        await assert.rejects(store.register(reg('n1', { version: '9' }), T0, 'A', { guard: () => { throw new Error('no'); } }), /no/);
        assert.deepEqual((await summaries(store)).map((n) => [n.id, n.version]), [['A1', '1.1.0']]);
        assert.equal((await created(store, 'n3')).id, 'A2', 'a refused creation used no ID');
      });

      it('answers unknown-id for an id it never allocated', async () => {
        assert.deepEqual(await store.register(reg('n1', { id: 'A7' }), T0, 'A'), { kind: 'unknown-id' });
        assert.deepEqual(await summaries(store), []);
      });

      it('answers name-mismatch, changing nothing, when the id belongs to another name', async () => {
        const before = await created(store, 'n1');
        assert.deepEqual(await store.register(reg('other', { id: 'A1', version: '9' }), T0 + 1, 'A'), { kind: 'name-mismatch', storedName: 'n1' });
        assert.deepEqual(await store.get('A1'), before);
      });

      it('never reuses or lowers an ID, across a reopen', async () => {
        await created(store, 'n1');
        await created(store, 'n2');
        store = await h.reopen();
        assert.equal((await created(store, 'n3')).id, 'A3');
        assert.equal((await summaries(store)).length, 3);
      });

      it('gives concurrent registrations distinct IDs', async () => {
        const outs = await Promise.all(Array.from({ length: 50 }, (_, i) => store.register(reg(`c${i}`), T0, 'A')));
        const ids = outs.map((o) => (o.kind === 'created' ? o.node.id : assert.fail(o.kind)));
        assert.equal(new Set(ids).size, 50);
      });
    });

    describe('update', () => {
      it('applies the mutation and returns before and after', async () => {
        await created(store, 'n1');
        const r = await store.update('A1', (n) => ({ ...n, label: ['gpu'], config: { k: 'v' }, lastUpdatedMs: T0 + 9 }));
        assert.deepEqual(r!.before.label, []);
        assert.deepEqual(r!.after.label, ['gpu']);
        const stored = await store.get('A1');
        assert.deepEqual(stored!.label, ['gpu']);
        assert.deepEqual(stored!.config, { k: 'v' });
        assert.equal(stored!.lastUpdatedMs, T0 + 9);
      });
      it('returns null for an unknown node', async () => {
        assert.equal(await store.update('A1', (n) => n), null);
      });
      it('never changes identity fields', async () => {
        await created(store, 'n1');
        await store.update('A1', (n) => ({ ...n, name: 'evil', registerTimeMs: 1 }));
        const n = await store.get('A1');
        assert.equal(n!.name, 'n1');
        assert.equal(n!.registerTimeMs, T0);
      });
    });

    describe('queries', () => {
      it('lists summaries ordered by ID number (A2 before A10)', async () => {
        for (let i = 1; i <= 11; i++) await created(store, `n${i}`);
        const list = await summaries(store);
        assert.deepEqual(list.map((n) => n.id), Array.from({ length: 11 }, (_, i) => `A${i + 1}`));
        assert.deepEqual(list[0], { id: 'A1', name: 'n1', status: 'initialized', type: 'agent', version: '1.1.0' });
      });
      it('renders the GET /nodes document as the list in JSON, names with quotes and non-ASCII included', async () => {
        assert.equal((await store.listDocument()).toString(), '[]');
        await created(store, 'n1');
        await created(store, 'h"\\q ü\u2028\t');
        await store.update('A2', (n) => ({ ...n, status: 'online', version: 'v"2' }));
        const doc = (await store.listDocument()).toString('utf8');
        assert.deepEqual(JSON.parse(doc)[1], { id: 'A2', name: 'h"\\q ü\u2028\t', status: 'online', type: 'agent', version: 'v"2' });
      });
      it('moves the change version on every change the list, statistics or discovery show, not on a heartbeat', async () => {
        const v0 = await store.changeVersion();
        await created(store, 'n1');
        const v1 = await store.changeVersion();
        assert.notEqual(v1, v0, 'a new node');
        await store.update('A1', (n) => ({ ...n, health: { a: { status: 'healthy' } }, lastReportMs: T0 + 1, agentLastReportMs: T0 }));
        const v2 = await store.changeVersion();
        assert.notEqual(v2, v1, 'a new component: selectors see it (health.a=healthy)');
        await store.update('A1', (n) => ({ ...n, health: { a: { status: 'Healthy', message: 'fine' } }, lastReportMs: T0 + 2, agentLastReportMs: T0 + 1 }));
        assert.equal(await store.changeVersion(), v2, 'a heartbeat that changes nothing shown (the same status in other case, a new message)');
        await store.update('A1', (n) => ({ ...n, health: { a: { status: 'failed' } } }));
        const v3 = await store.changeVersion();
        assert.notEqual(v3, v2, 'a component\'s status changed');
        const steps: Array<[string, (n: NodeRecord) => NodeRecord]> = [
          ['status', (n) => ({ ...n, status: 'online' })],
          ['labels', (n) => ({ ...n, label: ['gpu'] })],
          ['meta_data', (n) => ({ ...n, metaData: { ip: '10.9.9.9' } })],
          ['health state', (n) => ({ ...n, healthState: 'degraded' })],
          ['maintenance', (n) => ({ ...n, maintenance: 'M1', maintenanceStatus: n.status })],
        ];
        let last = v3;
        for (const [what, mutate] of steps) {
          await store.update('A1', mutate);
          const v = await store.changeVersion();
          assert.notEqual(v, last, what);
          last = v;
        }
        await store.register(reg('n1', { metaData: { ip: '10.1.1.1' } }), T0, 'A');
        assert.notEqual(await store.changeVersion(), last, 'a re-registration with a new address');
        last = await store.changeVersion();
        await store.register(reg('n1', { metaData: { ip: '10.1.1.1' } }), T0 + 5, 'A');
        assert.equal(await store.changeVersion(), last, 'a re-registration that changes nothing shown');
      });
      it('moves the publish version on every change nodes.json and file_sd show (an online node\'s), and only then', async () => {
        const moved = async (what: string, change: () => Promise<unknown>, expected: boolean) => {
          const before = await store.publishVersion();
          await change();
          assert.equal((await store.publishVersion()) !== before, expected, what);
        };
        await moved('a new node (initialized: not published)', () => created(store, 'n1'), false);
        await moved('a second one', () => created(store, 'n2'), false);
        await moved('online', () => store.update('A1', (n) => ({ ...n, status: 'online', lastReportMs: T0 })), true);
        await moved('a heartbeat', () => store.update('A1', (n) => ({ ...n, health: { a: {} }, lastReportMs: T0 + 1 })), false);
        await moved('an online node\'s labels', () => store.update('A1', (n) => ({ ...n, label: ['gpu'] })), true);
        await moved('its meta_data that the entry shows', () => store.update('A1', (n) => ({ ...n, metaData: { ...n.metaData, ip: '10.9.9.9' } })), true);
        await moved('its meta_data that nothing published shows', () => store.update('A1', (n) => ({ ...n, metaData: { ...n.metaData, rack: 7 } })), false);
        await moved('an initialized node\'s labels', () => store.update('A2', (n) => ({ ...n, label: ['gpu'] })), false);
        await moved('a re-registration of the online node with a new version', () => store.register(reg('n1', { version: '9', metaData: { hostname: 'n1', ip: '10.9.9.9', user: 'u', rack: 7 } }), T0, 'A'), true);
        await moved('a sweep taking it offline', () => store.sweep(sweepCutoffs(T0 + 1_000_000, { onlineWithinMs: 1_000, offlineAfterMs: 2_000 }), T0 + 1_000_000), true);
        await moved('an offline node deregistered', () => store.deregister('A1', 'admin', T0 + 1_000_001), false);
        await store.update('A2', (n) => ({ ...n, status: 'online', lastReportMs: T0 + 1_000_001 }));
        await moved('an online node deregistered', () => store.deregister('A2', 'admin', T0 + 1_000_002), true);
      });
      it('returns null for an unknown id', async () => {
        assert.equal(await store.get('A404'), null);
      });
      it('counts statuses that at least one node has, ordered by name', async () => {
        assert.deepEqual(await store.statistics(), []);
        for (const n of ['a', 'b', 'c', 'd']) await created(store, n);
        await store.update('A1', (n) => ({ ...n, status: 'online' }));
        await store.update('A2', (n) => ({ ...n, status: 'offline' }));
        await store.update('A3', (n) => ({ ...n, status: 'offline' }));
        assert.deepEqual(await store.statistics(), [
          { status: 'initialized', count: 1 },
          { status: 'offline', count: 2 },
          { status: 'online', count: 1 },
        ]);
      });
      it('renders nodes.json exactly as the domain does: online nodes by ID number, missing fields as ""', async () => {
        const empty = await store.nodesFileDocument();
        assert.deepEqual([Buffer.concat(empty.parts).toString(), empty.nodes], ['[]\n', 0]);
        for (let i = 1; i <= 12; i++) await created(store, `n${i}`);
        await store.register(reg('odd', { metaData: { ip: 5, hostname: 'h"\\quoted', user: null, rack: 'x' } as never }), T0, 'A');
        for (const id of ['A12', 'A3', 'A10', 'A13']) await store.update(id, (n) => ({ ...n, status: 'online', label: id === 'A3' ? ['gpu', 'ü'] : [] }));
        const { parts, nodes } = await store.nodesFileDocument();
        assert.equal(nodes, 4);
        const doc = Buffer.concat(parts).toString('utf8');
        assert.ok(doc.endsWith('\n'));
        const expected = JSON.parse(renderNodesFile(await recordsWithStatus(store, ['online'])));
        assert.deepEqual(JSON.parse(doc), expected);
        assert.deepEqual(JSON.parse(doc).map((e: { node_id: string }) => e.node_id), ['A3', 'A10', 'A12', 'A13']);
        assert.deepEqual(JSON.parse(doc)[3], { node_id: 'A13', user_id: '', ip: '', hostname: 'h"\\quoted', labels: [] });
      });

      it("keeps nodes.json current when an online node's meta_data or labels change", async () => {
        await store.register(reg('n1', { metaData: { ip: '10.0.0.1', user: 'u', hostname: 'h1' } }), T0, 'A');
        await store.register(reg('n2', { metaData: { ip: '10.0.0.2' } }), T0, 'A');
        for (const id of ['A1', 'A2']) await store.update(id, (n) => ({ ...n, status: 'online', label: ['gpu'] }));
        await store.register(reg('n1', { metaData: { ip: '10.9.9.9', user: 'v' } }), T0 + 1, 'A'); // re-registered: new meta_data
        await store.update('A2', (n) => ({ ...n, label: ['cpu', 'rack-1'] }));
        await store.update('A2', (n) => ({ ...n, lastReportMs: T0 + 2 })); // a report changes no entry
        const doc = JSON.parse(Buffer.concat((await store.nodesFileDocument()).parts).toString('utf8'));
        assert.deepEqual(doc, [
          { node_id: 'A1', user_id: 'v', ip: '10.9.9.9', hostname: '', labels: ['gpu'] },
          { node_id: 'A2', user_id: '', ip: '10.0.0.2', hostname: '', labels: ['cpu', 'rack-1'] },
        ]);
        assert.deepEqual(doc, JSON.parse(renderNodesFile(await recordsWithStatus(store, ['online']))));
      });

      it('renders Prometheus target groups exactly as the domain does, filtered by status and labels', async () => {
        const metas = [
          { ip: '10.0.0.1', hostname: 'h1', user: 'u', env: 'prod', instance: 'i"1' },
          { hostname: 'only-host' },
          { ip: 5, hostname: 'numeric-ip' },
          {},
          { ip: 'fe80::1', hostname: 'v6' },
          { ip: '', hostname: '' },
          { ip: '10.0.0.7', user: 7, env: null },
          { ip: 'a b\nc' },
          { hostname: 'master.internal/metrics?x=' },
          { ip: '[10.0.0.1:22]', hostname: 'fine-name' },
        ];
        const labels = [['gpu', 'a-b', 'a.b', 'zone=b', 'rack=7', 'rack=8', 'rack', 'a_b=x'], [], ['gpu', 'rack=9'], ['gpu'], ['ü/x', 'gpu', 'k=v=w'], ['gpu'], ['cpu'], ['gpu'], [], ['gpu']];
        for (let i = 0; i < metas.length; i++) {
          await store.register(reg(`n${i + 1}`, { metaData: metas[i] as never }), T0, 'A');
          await store.update(`A${i + 1}`, (n) => ({
            ...n, status: i === 6 ? 'offline' : 'online', label: labels[i]!,
            ...(i === 0 ? { healthState: 'degraded', conditions: [{ component: 'exp', status: 'failed', sinceMs: T0, message: null }, { component: 'dcgm', status: 'x', sinceMs: T0, message: 'm' }] } : {}),
            ...(i === 2 ? { healthState: 'healthy' } : {}),
          }));
        }
        const queries: TargetGroupsQuery[] = [
          { selector: parseSelector('status=online'), ports: [9100] },
          { selector: parseSelector('status in (online,offline)'), ports: [9100, 9400] },
          { selector: filterRequirements({ statuses: ['online'], labels: ['gpu'], flapping: null }), ports: [9100] },
          { selector: filterRequirements({ statuses: ['online'], labels: ['gpu', 'a-b'], flapping: null }), ports: [1] },
          { selector: parseSelector('status=initialized'), ports: [9100] },
          { selector: parseSelector('rack, health!=unknown'), ports: [9100] },
        ];
        const everyRecord = await recordsWithStatus(store, ['initialized', 'online', 'offline']);
        for (const query of queries) {
          const published = everyRecord.filter((n) => matches(query.selector, n));
          const expected = toTargetGroups(published, query.ports);
          const { parts, groups } = await store.targetGroupsDocument(query);
          const text = Buffer.concat(parts).toString('utf8');
          assert.deepEqual(JSON.parse(text), expected, JSON.stringify(query));
          assert.equal(JSON.stringify(JSON.parse(text)), JSON.stringify(expected), 'same key order too');
          assert.equal(groups, expected.length);
        }
        const allDoc = await store.targetGroupsDocument(queries[1]!);
        const all = JSON.parse(Buffer.concat(allDoc.parts).toString()) as TargetGroup[];
        assert.deepEqual(all.map((g) => g.labels.__meta_argus_node_id), ['A1', 'A2', 'A3', 'A5', 'A7'], 'no group without a valid ip or hostname');
        assert.deepEqual(allDoc.invalidHosts, { count: 3, nodeIds: ['A8', 'A9', 'A10'] }, 'nodes left out for a host that is not one');
        assert.deepEqual((await store.targetGroupsDocument(queries[2]!)).invalidHosts, { count: 2, nodeIds: ['A8', 'A10'] }, 'only selected nodes are counted');
        assert.deepEqual(all[3]!.targets, ['[fe80::1]:9100', '[fe80::1]:9400']);
      });
    });

    describe('sweep', () => {
      const thresholds = { onlineWithinMs: 120_000, offlineAfterMs: 180_000 };
      const now = T0 + 1_000_000;

      it('agrees with statusOf at every edge of both thresholds', async () => {
        const ages = [0, 1, 119_999, 120_000, 120_001, 179_999, 180_000, 180_001, 500_000];
        const statuses: NodeStatus[] = ['initialized', 'online', 'offline'];
        const expected = new Map<string, NodeStatus>();
        let i = 0;
        for (const age of ages) {
          for (const status of statuses) {
            const node = await created(store, `n${++i}`);
            await store.update(node.id, (n) => ({ ...n, status, lastReportMs: now - age }));
            expected.set(node.id, statusOf(status, now - age, now, thresholds));
          }
        }
        const never = await created(store, 'never-reported');
        await store.sweep(sweepCutoffs(now, thresholds), now);
        for (const [id, status] of expected) {
          assert.equal((await store.get(id))!.status, status, `node ${id}`);
        }
        assert.equal((await store.get(never.id))!.status, 'initialized');
      });

      it('previews how many online nodes a sweep would take offline', async () => {
        for (let i = 1; i <= 5; i++) await created(store, `n${i}`);
        await store.update('A1', (n) => ({ ...n, status: 'online', lastReportMs: now - 200_000 }));
        await store.update('A2', (n) => ({ ...n, status: 'online', lastReportMs: now - 180_001 }));
        await store.update('A3', (n) => ({ ...n, status: 'online', lastReportMs: now - 180_000 }));
        await store.update('A4', (n) => ({ ...n, status: 'offline', lastReportMs: now - 900_000 }));
        assert.deepEqual(await store.sweepPreview(sweepCutoffs(now, thresholds)), { goingOffline: 2, online: 3 });
        assert.equal((await store.get('A1'))!.status, 'online', 'a preview changes nothing');
      });

      it('passes each committed chunk of transitions to onChunk, returns their count, and stamps only changed nodes', async () => {
        for (let i = 1; i <= 12; i++) await created(store, `n${i}`);
        await store.update('A11', (n) => ({ ...n, status: 'online', lastReportMs: now - 200_000 }));
        await store.update('A10', (n) => ({ ...n, status: 'online', lastReportMs: now - 300_000 }));
        await store.update('A2', (n) => ({ ...n, status: 'offline', lastReportMs: now - 1_000 }));
        await store.update('A3', (n) => ({ ...n, status: 'online', lastReportMs: now - 1_000, lastUpdatedMs: T0 }));
        const chunks: StatusTransition[][] = [];
        const count = await store.sweep(sweepCutoffs(now, thresholds), now, (c) => chunks.push(c));
        const byId = (t: StatusTransition[]) => [...t].sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
        assert.deepEqual(byId(chunks.flat()), [
          { id: 'A2', from: 'offline', to: 'online' },
          { id: 'A10', from: 'online', to: 'offline' },
          { id: 'A11', from: 'online', to: 'offline' },
        ]);
        assert.equal(count, 3);
        for (const c of chunks) assert.deepEqual(c, byId(c), 'each chunk by ID number');
        assert.equal((await store.get('A2'))!.lastUpdatedMs, now);
        assert.equal((await store.get('A3'))!.lastUpdatedMs, T0);
        assert.equal(await store.sweep(sweepCutoffs(now, thresholds), now), 0, 'a second sweep changes nothing');
      });
    });

    describe('events', () => {
      const all = (after = 0) => store.events({ after, limit: 1000, types: [], nodeIds: [] });
      const parsed = async (after = 0) => (await all(after)).map((e) => JSON.parse(e.json) as Record<string, unknown>);

      it('writes one event per change, in the transaction of the change, and none for a heartbeat', async () => {
        await created(store, 'n1');
        await store.register(reg('n1'), T0 + 1, 'A'); // nothing changed: no event
        await store.register(reg('n1', { version: '2' }), T0 + 2, 'A');
        await store.update('A1', (n) => ({ ...n, status: 'online', lastReportMs: T0 + 3, lastUpdatedMs: T0 + 3 }));
        await store.update('A1', (n) => ({ ...n, health: { a: {} }, lastReportMs: T0 + 4, lastUpdatedMs: T0 + 4 })); // a heartbeat
        await store.update('A1', (n) => ({ ...n, label: ['gpu'], config: { k: 1 }, lastUpdatedMs: T0 + 5 }));
        await store.sweep({ offlineBeforeMs: T0 + 100, onlineSinceMs: T0 + 200 }, T0 + 6);
        assert.deepEqual(await parsed(), [
          { id: 1, time: '2025-09-24T03:20:00Z', type: 'node.registered', node_id: 'A1', name: 'n1' },
          { id: 2, time: '2025-09-24T03:20:00.002Z', type: 'node.reregistered', node_id: 'A1', changed: ['version'] },
          { id: 3, time: '2025-09-24T03:20:00.003Z', type: 'node.status', node_id: 'A1', from: 'initialized', to: 'online', cause: 'report' },
          { id: 4, time: '2025-09-24T03:20:00.005Z', type: 'node.config', node_id: 'A1', changed: ['config', 'label'] },
          { id: 5, time: '2025-09-24T03:20:00.006Z', type: 'node.status', node_id: 'A1', from: 'online', to: 'offline', cause: 'sweep' },
        ]);
        assert.equal((await store.get('A1'))!.statusSinceMs, T0 + 6, 'status_since moved with the sweep');
        assert.deepEqual(await store.eventBounds(), { oldest: 1, last: 5 });
      });

      it('writes no event for a change that failed (a throwing guard)', async () => {
        await assert.rejects(store.register(reg('n1'), T0, 'A', { guard: () => { throw new Error('no'); } }));
        assert.deepEqual(await all(), []);
        assert.deepEqual(await store.eventBounds(), { oldest: null, last: 0 });
      });

      it('reads after a cursor with type and node filters, and a node\'s events newest first', async () => {
        for (const name of ['a', 'b', 'c']) await created(store, name);
        for (const id of ['A1', 'A2', 'A1']) await store.update(id, (n) => ({ ...n, label: [...n.label, 'x'], lastUpdatedMs: T0 + 1 }));
        assert.deepEqual((await all(3)).map((e) => e.id), [4, 5, 6]);
        assert.deepEqual((await store.events({ after: 0, limit: 2, types: [], nodeIds: [] })).map((e) => e.id), [1, 2]);
        assert.deepEqual((await store.events({ after: 0, limit: 10, types: ['node.config'], nodeIds: ['A1'] })).map((e) => e.id), [4, 6]);
        assert.deepEqual((await store.events({ after: 0, limit: 10, types: ['node.registered'], nodeIds: [] })).map((e) => e.nodeId), ['A1', 'A2', 'A3']);
        assert.deepEqual((await store.nodeEvents('A1', null, 10)).map((e) => e.id), [6, 4, 1]);
        assert.deepEqual((await store.nodeEvents('A1', 6, 1)).map((e) => e.id), [4]);
        // Several nodes or types: their events merged in id order, the limit over all of them, a value given twice read once.
        assert.deepEqual((await store.events({ after: 0, limit: 10, types: [], nodeIds: ['A3', 'A1', 'A1'] })).map((e) => e.id), [1, 3, 4, 6]);
        assert.deepEqual((await store.events({ after: 1, limit: 2, types: [], nodeIds: ['A2', 'A1'] })).map((e) => e.id), [2, 4]);
        assert.deepEqual((await store.events({ after: 2, limit: 3, types: ['node.config', 'node.registered'], nodeIds: [] })).map((e) => e.id), [3, 4, 5]);
        assert.deepEqual((await store.events({ after: 0, limit: 10, types: ['node.config', 'node.registered'], nodeIds: ['A2'] })).map((e) => e.id), [2, 5]);
        assert.deepEqual((await store.events({ after: 0, limit: 10, types: [], nodeIds: ['A9'] })), []);
      });

      it('gives each of many concurrent changes its own increasing id', async () => {
        await Promise.all(Array.from({ length: 40 }, (_, i) => store.register(reg(`c${i}`), T0, 'A')));
        const ids = (await all()).map((e) => e.id);
        assert.deepEqual(ids, Array.from({ length: 40 }, (_, i) => i + 1));
      });

      it('prunes by age and per node, in steps, and never reuses an id', async () => {
        for (const name of ['a', 'b']) await created(store, name, T0);
        for (let i = 0; i < 6; i++) await store.update('A1', (n) => ({ ...n, label: [`l${i}`], lastUpdatedMs: T0 + 10_000 + i }));
        // Events: 1 (A1 registered, T0), 2 (A2 registered, T0), 3..8 (A1 config, T0+10s..)
        assert.equal(await store.pruneEvents({ olderThanMs: T0 + 1, maxPerNode: 4 }), 4, 'the two registrations are too old; A1 keeps its newest 4');
        assert.deepEqual((await all()).map((e) => e.id), [5, 6, 7, 8]);
        assert.equal(await store.pruneEvents({ olderThanMs: T0 + 1, maxPerNode: 4 }), 0, 'nothing more');
        assert.equal(await store.pruneEvents({ olderThanMs: T0 + 100_000, maxPerNode: 4 }), 4);
        assert.deepEqual(await store.eventBounds(), { oldest: null, last: 8 });
        await created(store, 'c', T0 + 200_000);
        assert.deepEqual((await all()).map((e) => e.id), [9], 'ids keep increasing after everything was pruned');
        store = await h.reopen();
        await created(store, 'd', T0 + 200_000);
        assert.deepEqual(await store.eventBounds(), { oldest: 9, last: 10 }, 'and across a reopen');
      });
    });

    describe('maintenance windows (SPEC §13)', () => {
      const MIN = 60_000;
      const windowOf = (selectorText: string, nodes: string[] = [], startsAtMs = T0, endsAtMs = T0 + 60 * MIN) =>
        ({ selectorText, selector: parseSelector(selectorText), nodes, reason: 'recabling', actor: 'admin', startsAtMs, endsAtMs });
      const eventsOf = async (type: string) => (await store.events({ after: 0, limit: 1000, types: [type as never], nodeIds: [] })).map((e) => JSON.parse(e.json) as Record<string, unknown>);
      const inWindow = async () => (await recordsWithStatus(store, ['initialized', 'online', 'offline'])).filter((n) => n.maintenance !== null).map((n) => `${n.id}:${n.maintenance}`);
      beforeEach(async () => {
        for (let i = 1; i <= 4; i++) await created(store, `m${i}`);
        await store.update('A1', (n) => ({ ...n, status: 'online', label: ['rack=7'] }));
        await store.update('A2', (n) => ({ ...n, status: 'online', label: ['rack=7'] }));
        await store.update('A3', (n) => ({ ...n, status: 'offline', label: ['rack=8'] }));
      });

      it('stores a window scheduled, starts it at its time with its nodes, ends it and lets them go', async () => {
        const w = await store.createWindow(windowOf('rack=7', ['A4'], T0 + MIN, T0 + 10 * MIN), T0);
        assert.deepEqual([w.id, w.phase, w.selectorText, w.nodes, w.reason, w.actor], ['M1', 'scheduled', 'rack=7', ['A4'], 'recabling', 'admin']);
        assert.deepEqual(await store.window('M1'), w, 'read back as stored');
        assert.equal(await store.windowCoverage(w), 3, 'its selector and its listed node');
        assert.deepEqual((await store.applyMaintenance(T0 + MIN - 1, true)).started, [], 'not before its start');
        assert.deepEqual(await inWindow(), []);
        const started = await store.applyMaintenance(T0 + MIN, false);
        assert.deepEqual([started.started, started.entered], [['M1'], 3]);
        assert.deepEqual(await inWindow(), ['A1:M1', 'A2:M1', 'A4:M1']);
        assert.equal((await store.get('A1'))!.maintenanceStatus, 'online', 'its status when it entered');
        assert.deepEqual((await eventsOf('maintenance.started')).map((e) => [e.window, e.matched]), [['M1', 3]]);
        assert.deepEqual((await eventsOf('node.maintenance')).map((e) => [e.node_id, e.in, e.status]), [['A1', true, 'online'], ['A2', true, 'online'], ['A4', true, 'initialized']]);
        await store.update('A1', (n) => ({ ...n, status: 'offline' }));
        assert.equal((await store.get('A1'))!.maintenance, 'M1', 'a status change does not take a node out');
        const ended = await store.applyMaintenance(T0 + 10 * MIN, false);
        assert.deepEqual([ended.ended, ended.left], [['M1'], 3]);
        assert.deepEqual(await inWindow(), []);
        const left = (await eventsOf('node.maintenance')).filter((e) => e.in === false);
        assert.deepEqual(left.map((e) => [e.node_id, e.status, e.entered_status]), [['A1', 'offline', 'online'], ['A2', 'online', 'online'], ['A4', 'initialized', 'initialized']]);
        assert.deepEqual((await eventsOf('maintenance.ended')).map((e) => [e.window, e.matched]), [['M1', 3]]);
        const after = (await store.window('M1'))!;
        assert.deepEqual([after.phase, after.endedAtMs, after.matched], ['ended', T0 + 10 * MIN, 3]);
      });

      it('covers continuously: a node that comes to match enters, one that stops matching leaves', async () => {
        await store.createWindow(windowOf('rack=7'), T0);
        await store.applyMaintenance(T0, false);
        assert.deepEqual(await inWindow(), ['A1:M1', 'A2:M1']);
        await store.update('A3', (n) => ({ ...n, label: ['rack=7'] }));
        await store.update('A2', (n) => ({ ...n, label: [] }));
        const pass = await store.applyMaintenance(T0 + 1_000, true);
        assert.deepEqual([pass.entered, pass.left], [1, 1]);
        assert.deepEqual(await inWindow(), ['A1:M1', 'A3:M1']);
        await created(store, 'm5');
        await store.update('A5', (n) => ({ ...n, label: ['rack=7'] }));
        await store.applyMaintenance(T0 + 2_000, true);
        assert.deepEqual(await inWindow(), ['A1:M1', 'A3:M1', 'A5:M1'], 'a node registered during the window');
      });

      it('moves a node over to another active window that covers it, without leaving maintenance', async () => {
        await store.createWindow(windowOf('rack=7', [], T0, T0 + 5 * MIN), T0);
        await store.createWindow(windowOf('', ['A1'], T0, T0 + 20 * MIN), T0);
        await store.applyMaintenance(T0, true);
        assert.deepEqual(await inWindow(), ['A1:M1', 'A2:M1']);
        await store.applyMaintenance(T0 + 5 * MIN, false);
        assert.deepEqual(await inWindow(), ['A1:M2']);
        const moves = (await eventsOf('node.maintenance')).map((e) => [e.node_id, e.window, e.in]);
        assert.deepEqual(moves, [['A1', 'M1', true], ['A2', 'M1', true], ['A2', 'M1', false]], 'A1 moved over silently');
        assert.equal((await store.get('A1'))!.maintenanceStatus, 'online', 'with its status from when it entered');
      });

      it('changes the reason and the end, ends an active window early and cancels a scheduled one', async () => {
        await store.createWindow(windowOf('rack=7', [], T0, T0 + 60 * MIN), T0);
        await store.createWindow(windowOf('rack=8', [], T0 + 30 * MIN, T0 + 60 * MIN), T0);
        await store.applyMaintenance(T0, false);
        const changed = await store.changeWindow('M1', { reason: 'firmware', endsAtMs: T0 + 90 * MIN }, T0 + MIN);
        assert.deepEqual([changed!.reason, changed!.endsAtMs], ['firmware', T0 + 90 * MIN]);
        assert.equal(await store.changeWindow('M9', { end: true }, T0), null);
        const ending = await store.changeWindow('M1', { end: true }, T0 + 2 * MIN);
        assert.equal(ending!.endsAtMs, T0 + 2 * MIN, 'an active window ends now');
        const cancelled = await store.changeWindow('M2', { end: true }, T0 + 2 * MIN);
        assert.deepEqual([cancelled!.phase, cancelled!.cancelled, cancelled!.endedAtMs], ['ended', true, T0 + 2 * MIN]);
        const pass = await store.applyMaintenance(T0 + 2 * MIN, false);
        assert.deepEqual([pass.ended, pass.started], [['M1'], []]);
        assert.deepEqual(await inWindow(), []);
        assert.deepEqual((await eventsOf('maintenance.started')).map((e) => e.window), ['M1'], 'the cancelled window never started');
        assert.deepEqual((await store.windows()).map((w) => w.id), ['M2', 'M1'], 'newest first');
        assert.equal(await store.pruneWindows(T0 + 3 * MIN), 2);
        assert.deepEqual(await store.windows(), []);
      });

      it('keeps nodes in maintenance out of garbage collection and the brake, and names the window in their status events', async () => {
        await store.createWindow(windowOf('', ['A3', 'A1']), T0);
        await store.applyMaintenance(T0, false);
        assert.deepEqual(await store.collectGarbage(T0 + 10_000, T0 + 20_000), ['A4'], 'A3 is offline but in maintenance');
        await store.update('A1', (n) => ({ ...n, lastReportMs: T0 }));
        await store.update('A2', (n) => ({ ...n, lastReportMs: T0 }));
        const cutoffs = { offlineBeforeMs: T0 + 1, onlineSinceMs: T0 + 1 };
        assert.deepEqual(await store.sweepPreview(cutoffs), { goingOffline: 1, online: 1 }, 'A1 does not count');
        await store.sweep(cutoffs, T0 + 30_000);
        const swept = (await eventsOf('node.status')).filter((e) => e.cause === 'sweep').map((e) => [e.node_id, e.maintenance]);
        assert.deepEqual(swept, [['A1', 'M1'], ['A2', undefined]]);
      });
    });

    describe('selectors (SPEC §12): the SQL answers as the domain does', () => {
      beforeEach(async () => {
        for (const n of SELECTOR_NODES) {
          await store.register({ id: null, name: n.name, type: n.type, version: n.version, metaData: n.metaData }, T0, 'A');
          await store.update(n.id, (r) => ({
            ...r, status: n.status, label: [...n.label], health: n.health, healthState: n.healthState, flapping: n.flapping,
            maintenance: n.maintenance, maintenanceStatus: n.maintenance === null ? null : n.status,
          }));
        }
      });

      it('every case selects the same nodes in a list, its statistics and discovery as in memory', async () => {
        const stored = await recordsWithStatus(store, ['initialized', 'online', 'offline']);
        for (const [text, expected] of SELECTOR_CASES) {
          const selector = parseSelector(text);
          assert.deepEqual(stored.filter((n) => matches(selector, n)).map((n) => n.id), expected, `${text}: the stored records in memory`);
          const page = await store.listPage({ selector, q: null }, null, 100);
          assert.deepEqual((JSON.parse(page.doc.toString('utf8')) as Array<{ id: string }>).map((n) => n.id), expected, `${text}: the list`);
          assert.equal(page.total, expected.length, `${text}: the total`);
          const counted = (await store.statisticsOf({ selector, q: null })).reduce((sum, c) => sum + c.count, 0);
          assert.equal(counted, expected.length, `${text}: the statistics`);
          const sd = JSON.parse(Buffer.concat((await store.targetGroupsDocument({ selector, ports: [1] })).parts).toString('utf8')) as TargetGroup[];
          assert.deepEqual(sd.map((g) => g.labels.__meta_argus_node_id), expected, `${text}: discovery`);
          const browsed = await store.browse({ selector, q: null }, { after: null }, 2);
          assert.deepEqual(browsed.nodes.map((n) => n.id), expected.slice(0, 2), `${text}: the dashboard's page`);
        }
      });
    });

    describe('finding nodes', () => {
      const none: NodeFilter = { selector: [], q: null };
      type OldFilter = { statuses?: NodeStatus[]; labels?: string[]; flapping?: boolean; q?: string };
      /** A filter of the older parameters (SPEC §9.5), as the API makes it. */
      const old = (f: OldFilter): NodeFilter => ({ selector: filterRequirements({ statuses: f.statuses ?? [], labels: f.labels ?? [], flapping: f.flapping ?? null }), q: f.q ?? null });
      const ids = (doc: Buffer) => (JSON.parse(doc.toString('utf8')) as Array<{ id: string }>).map((n) => n.id);
      beforeEach(async () => {
        const metas = [{ hostname: 'gpu-a.Example', ip: '10.0.0.1' }, { hostname: 'cpu-b', ip: '10.0.0.2' }, { hostname: 'gpu-c', ip: '10.1.0.3' }, { ip: 7 }, {}];
        for (let i = 0; i < metas.length; i++) await store.register(reg(`Node-${i + 1}`, { metaData: metas[i] as never }), T0, 'A');
        await store.update('A1', (n) => ({ ...n, status: 'online', label: ['gpu', 'rack1'] }));
        await store.update('A3', (n) => ({ ...n, status: 'online', label: ['gpu'] }));
        await store.update('A4', (n) => ({ ...n, status: 'offline', label: ['rack1'] }));
      });

      it('filters by status, labels (all of them), and a case-insensitive substring of id, name, hostname or ip', async () => {
        const page = (f: OldFilter) => store.listPage(old(f), null, 100);
        assert.deepEqual(ids((await page({ statuses: ['online'] })).doc), ['A1', 'A3']);
        assert.deepEqual(ids((await page({ statuses: ['online', 'offline'] })).doc), ['A1', 'A3', 'A4']);
        assert.deepEqual(ids((await page({ labels: ['gpu', 'rack1'] })).doc), ['A1']);
        assert.deepEqual(ids((await page({ q: 'EXAMPLE' })).doc), ['A1']);
        assert.deepEqual(ids((await page({ q: '10.1.' })).doc), ['A3']);
        assert.deepEqual(ids((await page({ q: 'node-5' })).doc), ['A5']);
        assert.deepEqual(ids((await page({ q: 'a5' })).doc), ['A5']);
        assert.deepEqual(ids((await page({ flapping: false })).doc).length, 5);
        assert.deepEqual((await page({ flapping: true })).total, 0);
        assert.deepEqual(await store.statisticsOf(old({ labels: ['rack1'] })), [{ status: 'offline', count: 1 }, { status: 'online', count: 1 }]);
        await store.update('A1', (n) => ({ ...n, label: ['rack1'] }));
        assert.deepEqual(ids((await page({ labels: ['gpu'] })).doc), ['A3'], 'a label change moves the node out of the label');
        assert.deepEqual(ids((await page({ labels: ['rack1'], statuses: ['online'] })).doc), ['A1']);
        await store.deregister('A4', 'admin', T0);
        assert.deepEqual((await page({ labels: ['rack1'] })).total, 1, 'a removed node leaves its labels');
        const summary = JSON.parse((await page({ q: 'node-1' })).doc.toString())[0];
        assert.deepEqual(summary, { id: 'A1', name: 'Node-1', status: 'online', type: 'agent', version: '1.1.0' });
      });

      it('pages by ID number with a total and the next cursor, visiting every node once', async () => {
        for (let i = 6; i <= 12; i++) await created(store, `more-${i}`);
        const seen: string[] = [];
        let after: string | null = null;
        for (let round = 0; round < 20; round++) {
          const p = await store.listPage(none, after, 5);
          assert.equal(p.total, 12);
          seen.push(...ids(p.doc));
          if (p.next === null) break;
          after = p.next;
        }
        assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => `A${i + 1}`));
        assert.equal((await store.listPage(none, 'A10', 2)).next, null, 'the last page has no next');
        assert.equal((await store.listPage(none, 'A12', 5)).doc.toString(), '[]');
      });

      it('browses full records forwards and backwards with the cursors either side, within a filter', async () => {
        for (let i = 6; i <= 12; i++) await created(store, `more-${i}`);
        const idsOf = (p: { nodes: Array<{ id: string }> }) => p.nodes.map((n) => n.id);
        const first = await store.browse(none, { after: null }, 5);
        assert.deepEqual(idsOf(first), ['A1', 'A2', 'A3', 'A4', 'A5']);
        assert.deepEqual([first.total, first.prev, first.next], [12, null, 'A5']);
        assert.equal(first.nodes[0]!.metaData.hostname, 'gpu-a.Example', 'full records, with meta_data');
        assert.deepEqual(first.nodes[0]!.label, ['gpu', 'rack1']);
        const second = await store.browse(none, { after: 'A5' }, 5);
        assert.deepEqual([idsOf(second), second.prev, second.next], [['A6', 'A7', 'A8', 'A9', 'A10'], 'A6', 'A10']);
        const back = await store.browse(none, { before: 'A6' }, 5);
        assert.deepEqual([idsOf(back), back.prev, back.next], [['A1', 'A2', 'A3', 'A4', 'A5'], null, 'A5'], 'before A6: the page before, and it is the first');
        const middle = await store.browse(none, { before: 'A9' }, 3);
        assert.deepEqual([idsOf(middle), middle.prev, middle.next], [['A6', 'A7', 'A8'], 'A6', 'A8']);
        const last = await store.browse(none, { after: 'A10' }, 5);
        assert.deepEqual([idsOf(last), last.next], [['A11', 'A12'], null]);
        const online = await store.browse(old({ statuses: ['online'] }), { after: null }, 1);
        assert.deepEqual([idsOf(online), online.total, online.next], [['A1'], 2, 'A1']);
        const online2 = await store.browse(old({ statuses: ['online'] }), { after: 'A1' }, 1);
        assert.deepEqual([idsOf(online2), online2.prev, online2.next], [['A3'], 'A3', null]);
        const byLabel = await store.browse(old({ labels: ['rack1'] }), { before: 'A4' }, 5);
        assert.deepEqual([idsOf(byLabel), byLabel.prev, byLabel.next], [['A1'], null, 'A1']);
      });
    });

    describe('lifecycle', () => {
      it('deregisters a node: gone from list, statistics and documents, its ID and token never back, its name free', async () => {
        await store.register(reg('n1'), T0, 'A', { tokenHashFor: () => 'h1' });
        await store.update('A1', (n) => ({ ...n, status: 'online', lastUpdatedMs: T0 + 1 }));
        const v = await store.changeVersion();
        const out = await store.deregister('A1', 'admin', T0 + 2);
        assert.equal(out!.node.name, 'n1');
        assert.deepEqual(JSON.parse(out!.events[0]!.json), { id: 3, time: '2025-09-24T03:20:00.002Z', type: 'node.deregistered', node_id: 'A1', cause: 'admin' });
        assert.notEqual(await store.changeVersion(), v);
        assert.deepEqual(await summaries(store), []);
        assert.deepEqual(await store.statistics(), []);
        assert.equal(Buffer.concat((await store.nodesFileDocument()).parts).toString(), '[]\n');
        assert.equal(await store.tokenHash('A1'), null);
        assert.equal(await store.deregister('A1', 'admin', T0), null);
        assert.deepEqual(await store.register(reg('n1', { id: 'A1' }), T0, 'A'), { kind: 'unknown-id' });
        assert.equal((await created(store, 'n1')).id, 'A2', 'the name makes a new node with a new ID');
      });

      it('collects nodes offline, or initialized without a report, since before the cut-off, and nothing else', async () => {
        for (const name of ['offline-old', 'offline-new', 'init-old', 'online-old', 'init-reported']) await created(store, name, T0);
        await store.update('A1', (n) => ({ ...n, status: 'offline', statusSinceMs: T0, lastReportMs: T0 }));
        await store.update('A2', (n) => ({ ...n, status: 'offline', statusSinceMs: T0 + 5_000, lastReportMs: T0 }));
        await store.update('A4', (n) => ({ ...n, status: 'online', statusSinceMs: T0, lastReportMs: T0 }));
        await store.update('A5', (n) => ({ ...n, lastReportMs: T0 }));
        const chunks: string[][] = [];
        assert.deepEqual(await store.collectGarbage(T0 + 1_000, T0 + 9_000, (ids) => chunks.push(ids)), ['A1', 'A3']);
        assert.deepEqual(chunks, [['A1', 'A3']]);
        assert.deepEqual((await summaries(store)).map((n) => n.id), ['A2', 'A4', 'A5']);
        const gc = await store.events({ after: 0, limit: 100, types: ['node.deregistered'], nodeIds: [] });
        assert.deepEqual(gc.map((e) => [e.nodeId, JSON.parse(e.json).cause]), [['A1', 'gc'], ['A3', 'gc']]);
      });
    });

    describe('durability and health', () => {
      it('keeps every field across a reopen', async () => {
        await created(store, 'n1');
        await store.update('A1', (n) => ({ ...n, status: 'online', label: ['gpu'], config: { a: { b: [1] } }, health: { x: { status: 'ok' } }, lastReportMs: T0 + 1, agentLastReportMs: T0 - 1 }));
        const before = await store.get('A1');
        store = await h.reopen();
        assert.deepEqual(await store.get('A1'), before);
      });
      it('keeps operational state, and rejects reads after close', async () => {
        assert.equal(await store.getState('sweeper'), null);
        await store.putState('sweeper', '{"a":1}');
        await store.putState('sweeper', '{"a":2}');
        assert.equal(await store.getState('sweeper'), '{"a":2}');
        store = await h.reopen();
        assert.equal(await store.getState('sweeper'), '{"a":2}');
        await store.close();
        await assert.rejects(store.getState('sweeper'));
        await assert.rejects(store.nodesFileDocument());
        await assert.rejects(store.listDocument());
      });
      it('state keys do not collide with the ID counter', async () => {
        await store.putState('node_id_counter', '999');
        assert.equal((await created(store, 'n1')).id, 'A1');
      });
    });

    describe('statistics by a field or label key (SPEC §17)', () => {
      const fleet = async () => {
        const nodes: Array<[string, Record<string, unknown>, string[], NodeStatus]> = [
          ['n1', { user: 'alice', env: 'prod', cpu_number: 16, gpu_number: 8, memory_in_bytes: 1000 }, ['rack=7'], 'online'],
          ['n2', { user: 'alice', env: 'prod', cpu_number: 8, gpu_number: 4, memory_in_bytes: 500 }, ['rack=7', 'gpu'], 'offline'],
          ['n3', { user: 'bob', cpu_number: 4, gpu_number: '2', memory_in_bytes: 250 }, ['rack=8'], 'online'],
          ['n4', { user: 7, nested: { zone: 'eu' } }, [], 'initialized'],
        ];
        for (const [name, meta, label, status] of nodes) {
          const n = await created(store, name);
          await store.update(n.id, (r) => ({ ...r, metaData: { hostname: name, ...meta }, label, status }));
        }
      };
      const all = { selector: [], q: null };
      it('groups by meta_data, summing the capacity of online nodes only (numbers only); the nodes without a value last', async () => {
        await fleet();
        const { assembleGroups } = await import('../../src/domain/grouping.js');
        assert.deepEqual(assembleGroups(await store.statisticsBy(all, { kind: 'meta', path: ['user'] })), {
          total: 4,
          groups: [
            { key: '7', total: 1, status_statistics: [{ status: 'initialized', count: 1 }], capacity: { cpu_number: 0, gpu_number: 0, memory_in_bytes: 0 } },
            { key: 'alice', total: 2, status_statistics: [{ status: 'offline', count: 1 }, { status: 'online', count: 1 }], capacity: { cpu_number: 16, gpu_number: 8, memory_in_bytes: 1000 } },
            { key: 'bob', total: 1, status_statistics: [{ status: 'online', count: 1 }], capacity: { cpu_number: 4, gpu_number: 0, memory_in_bytes: 250 } },
          ],
        });
        const env = assembleGroups(await store.statisticsBy(all, { kind: 'meta', path: ['env'] }));
        assert.deepEqual(env.groups.map((g) => [g.key, g.total]), [['prod', 2], [null, 2]]);
        const zone = assembleGroups(await store.statisticsBy(all, { kind: 'meta', path: ['nested', 'zone'] }));
        assert.deepEqual(zone.groups.map((g) => [g.key, g.total]), [['eu', 1], [null, 3]]);
      });
      it('groups by a label key, by a column, and within a selector', async () => {
        await fleet();
        const { assembleGroups } = await import('../../src/domain/grouping.js');
        const { parseSelector } = await import('../../src/domain/selector.js');
        const rack = assembleGroups(await store.statisticsBy(all, { kind: 'label', key: 'rack' }));
        assert.deepEqual(rack.groups.map((g) => [g.key, g.total, g.capacity.cpu_number]), [['7', 2, 16], ['8', 1, 4], [null, 1, 0]]);
        const status = assembleGroups(await store.statisticsBy(all, { kind: 'column', column: 'status' }));
        assert.deepEqual(status.groups.map((g) => [g.key, g.total]), [['initialized', 1], ['offline', 1], ['online', 2]]);
        const selected = assembleGroups(await store.statisticsBy({ selector: parseSelector('rack=7'), q: null }, { kind: 'meta', path: ['user'] }));
        assert.deepEqual(selected.groups.map((g) => [g.key, g.total]), [['alice', 2]]);
      });
    });

    availabilityCases(() => store);
  });
}
