// Selectors (SPEC §12) through the API, and component health (SPEC §14) derived from status reports:
// GET /nodes, /nodes/statistics and /sd/prometheus with ?selector=, the health fields of the node object,
// node.health events, discovery labels and metrics.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { registrationBody } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { strictJson } from '../helpers/strict-json.js';

const BASE = '/api/v1/master';
let m: TestMaster;
afterEach(async () => { await m.close(); });
beforeEach(async () => { m = await makeTestMaster(); });

async function call(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) {
  const res = await m.app.inject({ method, url, headers: body ? { 'content-type': 'application/json' } : {}, payload: body ? JSON.stringify(body) : undefined });
  return { status: res.statusCode, body: res.statusCode === 304 ? null : strictJson(res.rawPayload) };
}
const report = (id: string, health: Record<string, unknown>) => call('PUT', `${BASE}/nodes/${id}/status`, { timestamp: '2025-09-24T03:24:59Z', health });
const q = (s: string) => encodeURIComponent(s);

/** Three nodes: A1 rack 7 with 8 GPUs, A2 rack 8 with 4, A3 without a rack and never reporting. */
async function fleet() {
  for (const [name, gpus, ip] of [['a', 8, '10.0.0.1'], ['b', 4, '10.0.0.2'], ['c', 0, '10.0.0.3']] as const) {
    await call('POST', `${BASE}/nodes`, registrationBody(name, { meta_data: { ...registrationBody(name).meta_data, gpu_number: gpus, ip } }));
  }
  await call('PUT', `${BASE}/nodes/A1/config`, { label: ['gpu', 'rack=7'] });
  await call('PUT', `${BASE}/nodes/A2/config`, { label: ['gpu', 'rack=8'] });
  await report('A1', { 'metric-node-exporter': { status: 'healthy' } });
  await report('A2', { 'metric-node-exporter': { status: 'failed', message: 'connection refused' } });
}

describe('?selector= (SPEC §12)', () => {
  it('selects in GET /nodes, its total, the statistics and discovery, beside the older parameters', async () => {
    await fleet();
    const ids = async (url: string) => ((await call('GET', url)).body as Array<{ id: string }>).map((n) => n.id);
    assert.deepEqual(await ids(`${BASE}/nodes?selector=${q('rack=7')}`), ['A1']);
    assert.deepEqual(await ids(`${BASE}/nodes?selector=${q('gpu,meta.gpu_number>=4')}&limit=10`), ['A1', 'A2']);
    assert.deepEqual(await ids(`${BASE}/nodes?selector=${q('health=degraded')}`), ['A2']);
    assert.deepEqual(await ids(`${BASE}/nodes?selector=${q('!rack')}`), ['A3']);
    assert.deepEqual(await ids(`${BASE}/nodes?selector=${q('rack in (7,8)')}&status=online`), ['A1', 'A2']);
    assert.deepEqual(await ids(`${BASE}/nodes?selector=${q('health.metric-node-exporter!=healthy')}`), ['A2', 'A3']);
    assert.deepEqual((await call('GET', `${BASE}/nodes/statistics?selector=${q('gpu')}`)).body, { total: 2, status_statistics: [{ status: 'online', count: 2 }] });
    const sd = (await call('GET', `${BASE}/sd/prometheus?selector=${q('rack=8')}`)).body as Array<{ labels: Record<string, string> }>;
    assert.deepEqual(sd.map((g) => g.labels.__meta_argus_node_id), ['A2']);
    assert.equal((await call('GET', `${BASE}/sd/prometheus?selector=${q('status=initialized')}`)).body.length, 1, 'a status in the selector replaces the default online');
  });

  for (const [selector, message] of [['rack=', 'position 5: expected a value'], ['status=busy', 'status values among'], ['meta.gpu_number>=x', 'a number after >=']] as const) {
    it(`answers 400 naming the position and what was expected: ${selector}`, async () => {
      for (const url of [`${BASE}/nodes?selector=${q(selector)}`, `${BASE}/nodes/statistics?selector=${q(selector)}`, `${BASE}/sd/prometheus?selector=${q(selector)}`]) {
        const res = await call('GET', url);
        assert.equal(res.status, 400, url);
        assert.match(res.body.error, /^invalid selector at position \d+: expected /);
        assert.ok(res.body.error.includes(message), res.body.error);
      }
    });
  }
});

describe('component health (SPEC §14)', () => {
  it('derives health_state and the conditions with since and message; a repeated report is no event', async () => {
    await fleet();
    const a2 = (await call('GET', `${BASE}/nodes/A2`)).body;
    assert.equal(a2.status, 'online', 'a degraded node stays online');
    assert.equal(a2.health_state, 'degraded');
    assert.deepEqual(a2.conditions, [{ component: 'metric-node-exporter', status: 'failed', since: '2025-09-24T03:20:00Z', message: 'connection refused' }]);
    assert.equal((await call('GET', `${BASE}/nodes/A1`)).body.health_state, 'healthy');
    assert.equal((await call('GET', `${BASE}/nodes/A3`)).body.health_state, 'unknown', 'no report yet');
    m.clock.advance(60_000);
    await report('A2', { 'metric-node-exporter': { status: 'FAILED', error: 'still refused' } });
    const again = (await call('GET', `${BASE}/nodes/A2`)).body;
    assert.deepEqual(again.conditions[0], { component: 'metric-node-exporter', status: 'FAILED', since: '2025-09-24T03:20:00Z', message: 'still refused' }, 'since is kept while it keeps failing');
    m.clock.advance(60_000);
    await report('A2', { 'metric-node-exporter': { status: 'failed' }, 'log-fluentbit': { error: 'no status' } });
    await report('A2', { 'metric-node-exporter': { status: 'Healthy' }, 'log-fluentbit': { status: 'healthy' } });
    await report('A2', {});
    const events = (await call('GET', `${BASE}/events?type=node.health&node_id=A2`)).body as Array<Record<string, unknown>>;
    assert.deepEqual(events.map((e) => [e.from, e.to, e.failing]), [
      ['unknown', 'degraded', ['metric-node-exporter']],
      ['degraded', 'degraded', ['metric-node-exporter', 'log-fluentbit']],
      ['degraded', 'healthy', []],
      ['healthy', 'unknown', []],
    ]);
  });

  it('shows health, failing components and key/value labels in discovery, and counts them in /metrics', async () => {
    await fleet();
    const groups = (await call('GET', `${BASE}/sd/prometheus`)).body as Array<{ labels: Record<string, string> }>;
    const a2 = groups.find((g) => g.labels.__meta_argus_node_id === 'A2')!.labels;
    assert.deepEqual([a2.__meta_argus_health, a2.__meta_argus_failing, a2.__meta_argus_maintenance], ['degraded', ',metric-node-exporter,', 'false']);
    assert.deepEqual([a2.__meta_argus_label_rack, a2.__meta_argus_label_rack_8, a2.__meta_argus_label_gpu], ['8', 'true', 'true']);
    const text = (await m.store.fleetHealth());
    assert.deepEqual(text, { degraded: 1, inMaintenance: 0, components: [{ component: 'metric-node-exporter', count: 1 }] });
  });
});
