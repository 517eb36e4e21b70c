// The source README's end-to-end scenarios 02–09 as steps over a running master reached by URL. Run by
// scenarios.test.ts against the built CLI, and by tests/scripts/0N_*.sh (through run-steps.ts) against
// the container, so each assertion is written once. Waits scale with the master's thresholds.
import assert from 'node:assert/strict';
import { registrationBody } from '../helpers/fixtures.js';
import { request, waitFor } from './harness.js';

/** One nodes.json entry. */
export type NodesJsonEntry = { node_id: string; user_id: string; ip: string; hostname: string; labels: string[] };

/** What the steps need of the master under test. */
export interface ScenarioContext {
  base: string;
  api: string;
  timing: { onlineSeconds: number; offlineSeconds: number; intervalSeconds: number };
  /** The parsed nodes.json; throws if it is missing or not whole JSON. */
  readNodesJson(): NodesJsonEntry[];
  nodesJsonExists(): boolean;
  deleteNodesJson(): void;
  /** Restarts the master (graceful stop, start, ready); throws if the stop was not clean. */
  restart(): Promise<void>;
  /** Carried from step to step (the scripts keep it in a file). */
  state: { nodeId?: string; secondId?: string };
}

/** A step of the scenario. */
export interface ScenarioStep {
  id: string;
  title: string;
  run(ctx: ScenarioContext): Promise<void>;
}

const health = { 'log-fluentbit': { status: 'healthy' }, 'metric-node-exporter': { status: 'healthy' } };
const reportBody = () => ({ timestamp: new Date().toISOString(), health });

/** How long to wait for a sweep to publish, and for a node to pass the offline threshold. */
function waits(ctx: ScenarioContext) {
  const { offlineSeconds, intervalSeconds } = ctx.timing;
  return { publishMs: (intervalSeconds * 2 + 1) * 1000, offlineMs: (offlineSeconds + intervalSeconds * 2 + 2) * 1000 };
}

async function statusOf(ctx: ScenarioContext, id: string): Promise<string> {
  return (await request('GET', `${ctx.api}/nodes/${id}`)).body.status;
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} is not known: run the earlier steps first`);
  return v;
}

/** Steps 02–09, in order. */
export const scenarioSteps: ScenarioStep[] = [
  {
    id: '02',
    title: 'is ready and publishes [] in nodes.json',
    async run(ctx) {
      // Exactly the original answer, on PostgreSQL too (SPEC §2; the cluster is GET /cluster's).
      for (const url of [`${ctx.base}/readyz`, `${ctx.api}/readyz`]) {
        assert.deepEqual(await request('GET', url), { status: 200, body: { status: 'ready' } });
      }
      assert.deepEqual(await request('GET', `${ctx.base}/healthz`), { status: 200, body: { status: 'ok' } });
      assert.deepEqual(await request('GET', `${ctx.api}/healthz`), { status: 200, body: { status: 'ok' } });
      assert.deepEqual(ctx.readNodesJson(), []);
    },
  },
  {
    id: '03',
    title: 'registers a node via the API and lists it',
    async run(ctx) {
      const res = await request('POST', `${ctx.api}/nodes`, registrationBody());
      assert.equal(res.status, 201);
      assert.match(res.body.id, /^A\d+$/);
      assert.equal(res.body.status, 'initialized');
      assert.deepEqual(res.body.meta_data, registrationBody().meta_data);
      ctx.state.nodeId = res.body.id;
      const list = await request('GET', `${ctx.api}/nodes`);
      assert.deepEqual(list.body, [{ id: res.body.id, name: 'dev-user-inst-pod-0', status: 'initialized', type: 'agent', version: '1.1.0' }]);
      assert.deepEqual((await request('GET', `${ctx.api}/nodes/${res.body.id}`)).body, res.body);
    },
  },
  {
    id: '04',
    title: 're-registers (200) and answers the error cases (404, 500, 400)',
    async run(ctx) {
      const nodeId = must(ctx.state.nodeId, 'the node id');
      const again = await request('POST', `${ctx.api}/nodes`, { ...registrationBody(), id: nodeId, version: '1.1.1' });
      assert.equal(again.status, 200);
      assert.equal(again.body.id, nodeId);
      assert.equal(again.body.version, '1.1.1');
      const byName = await request('POST', `${ctx.api}/nodes`, registrationBody());
      assert.equal(byName.status, 200);
      assert.equal(byName.body.id, nodeId);
      const unknown = await request('POST', `${ctx.api}/nodes`, { ...registrationBody(), id: 'A999999' });
      assert.equal(unknown.status, 404);
      assert.equal(typeof unknown.body.error, 'string');
      const mismatch = await request('POST', `${ctx.api}/nodes`, { ...registrationBody('another-name'), id: nodeId });
      assert.equal(mismatch.status, 500);
      assert.equal(typeof mismatch.body.error, 'string');
      const bad = await request('POST', `${ctx.api}/nodes`, { name: 'x' });
      assert.equal(bad.status, 400);
      assert.equal(typeof bad.body.error, 'string');
      assert.equal((await request('GET', `${ctx.api}/nodes/A999999`)).status, 404);
      assert.equal((await request('GET', `${ctx.api}/nodes`)).body.length, 1);
    },
  },
  {
    id: '05',
    title: 'status moves initialized → online → offline → online',
    async run(ctx) {
      const nodeId = must(ctx.state.nodeId, 'the node id');
      const w = waits(ctx);
      assert.equal(await statusOf(ctx, nodeId), 'initialized');
      const body = reportBody();
      const res = await request('PUT', `${ctx.api}/nodes/${nodeId}/status`, body);
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'online', 'online at once, not at the next sweep');
      assert.deepEqual(res.body.health, health);
      assert.equal(Date.parse(res.body.agent_last_report), Date.parse(body.timestamp));
      assert.ok(Math.abs(Date.parse(res.body.last_report) - Date.now()) < 60_000, 'last_report is the receive time');
      await waitFor('nodes.json to list the node', () => ctx.readNodesJson().some((e) => e.node_id === nodeId), w.publishMs);
      await waitFor('the node to go offline', async () => (await statusOf(ctx, nodeId)) === 'offline', w.offlineMs);
      await waitFor('nodes.json to drop the node', () => ctx.readNodesJson().length === 0, w.publishMs);
      assert.equal((await request('PUT', `${ctx.api}/nodes/${nodeId}/status`, reportBody())).body.status, 'online');
    },
  },
  {
    id: '06',
    title: 'config and labels reach nodes.json; an offline node is left out',
    async run(ctx) {
      const nodeId = must(ctx.state.nodeId, 'the node id');
      const w = waits(ctx);
      if ((await statusOf(ctx, nodeId)) !== 'online') await request('PUT', `${ctx.api}/nodes/${nodeId}/status`, reportBody());
      const res = await request('PUT', `${ctx.api}/nodes/${nodeId}/config`, { config: { log_level: 'debug' }, label: ['gpu', 'exp001'] });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.config, { log_level: 'debug' });
      assert.deepEqual(res.body.label, ['gpu', 'exp001']);
      const entries = await waitFor('labels in nodes.json', () => {
        const doc = ctx.readNodesJson();
        return doc[0]?.labels.length === 2 && doc;
      }, w.publishMs);
      assert.deepEqual(entries, [{ node_id: nodeId, user_id: 'testuser', ip: '10.0.0.10', hostname: 'dev-user-inst-pod-0', labels: ['gpu', 'exp001'] }]);
      const merged = await request('PUT', `${ctx.api}/nodes/${nodeId}/config`, { config: { extra: 1 } });
      assert.deepEqual(merged.body.config, { log_level: 'debug', extra: 1 }, 'config is merged key by key');
      assert.deepEqual(merged.body.label, ['gpu', 'exp001'], 'labels kept when not sent');
      await waitFor('the node to go offline', async () => (await statusOf(ctx, nodeId)) === 'offline', w.offlineMs);
      await waitFor('nodes.json to leave the offline node out', () => ctx.readNodesJson().length === 0, w.publishMs);
      await request('PUT', `${ctx.api}/nodes/${nodeId}/config`, { label: ['gpu', 'exp001', 'later'] });
      await new Promise((r) => setTimeout(r, w.publishMs));
      assert.deepEqual(ctx.readNodesJson(), [], 'a label change of an offline node publishes nothing');
    },
  },
  {
    id: '07',
    title: 'statistics with a single (offline) node; nodes.json empty',
    async run(ctx) {
      const nodeId = must(ctx.state.nodeId, 'the node id');
      await waitFor('the node to be offline', async () => (await statusOf(ctx, nodeId)) === 'offline', waits(ctx).offlineMs);
      assert.deepEqual((await request('GET', `${ctx.api}/nodes/statistics`)).body, { total: 1, status_statistics: [{ status: 'offline', count: 1 }] });
      assert.deepEqual(ctx.readNodesJson(), []);
    },
  },
  {
    id: '08',
    title: 'two nodes, one online and one offline: statistics and nodes.json',
    async run(ctx) {
      const nodeId = must(ctx.state.nodeId, 'the node id');
      const res = await request('POST', `${ctx.api}/nodes`, registrationBody('dev-user-inst-pod-1', { meta_data: { hostname: 'pod-1', ip: '10.0.0.11', user: 'testuser' } }));
      assert.equal(res.status, 201);
      const secondId: string = res.body.id;
      assert.notEqual(secondId, nodeId);
      ctx.state.secondId = secondId;
      assert.equal((await request('PUT', `${ctx.api}/nodes/${secondId}/status`, reportBody())).body.status, 'online');
      assert.deepEqual((await request('GET', `${ctx.api}/nodes/statistics`)).body, {
        total: 2,
        status_statistics: [{ status: 'offline', count: 1 }, { status: 'online', count: 1 }],
      });
      const doc = await waitFor('nodes.json with the online node only', () => {
        const d = ctx.readNodesJson();
        return d.length === 1 && d[0]!.node_id === secondId && d;
      }, waits(ctx).publishMs);
      assert.deepEqual(doc, [{ node_id: secondId, user_id: 'testuser', ip: '10.0.0.11', hostname: 'pod-1', labels: [] }]);
    },
  },
  {
    id: '09',
    title: 'a restart keeps nodes, statistics and nodes.json; IDs keep increasing',
    async run(ctx) {
      const ids = [must(ctx.state.nodeId, 'the node id'), must(ctx.state.secondId, 'the second node id')];
      // Refresh the online node so it stays within the offline threshold across the restart.
      await request('PUT', `${ctx.api}/nodes/${ids[1]}/status`, reportBody());
      const fetchAll = () => Promise.all(ids.map(async (id) => (await request('GET', `${ctx.api}/nodes/${id}`)).body));
      const nodesBefore = await fetchAll();
      const statsBefore = (await request('GET', `${ctx.api}/nodes/statistics`)).body;
      const fileBefore = await waitFor('nodes.json with the online node', () => {
        const d = ctx.readNodesJson();
        return d.length === 1 && d;
      }, waits(ctx).publishMs);
      await ctx.restart();
      const nodesAfter = await fetchAll();
      // Derived from stored times only (last_report − agent_last_report): a restart moves neither.
      assert.deepEqual(nodesAfter.map((n) => n.clock_skew_seconds), nodesBefore.map((n) => n.clock_skew_seconds), 'clock skew unchanged');
      assert.deepEqual(nodesAfter, nodesBefore);
      assert.deepEqual((await request('GET', `${ctx.api}/nodes/statistics`)).body, statsBefore);
      assert.deepEqual(ctx.readNodesJson(), fileBefore);
      const third = await request('POST', `${ctx.api}/nodes`, registrationBody('after-restart'));
      assert.equal(third.status, 201);
      assert.equal(third.body.id, `A${Math.max(...ids.map((id) => Number(id.slice(1)))) + 1}`, 'IDs keep increasing across restarts');
      ctx.deleteNodesJson();
      await waitFor('nodes.json to be recreated after a deletion', () => ctx.nodesJsonExists() && Array.isArray(ctx.readNodesJson()), waits(ctx).publishMs);
    },
  },
];
