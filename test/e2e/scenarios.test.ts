// The source README's end-to-end scenarios 02–09, against the built CLI on loopback with two workers
// and second-scale thresholds (online ≤ 1.5 s, offline > 3 s, sweep every 0.5 s).
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { registrationBody, tempDir } from '../helpers/fixtures.js';
import { readNodesJson, request, startMaster, stopMaster, waitFor, type MasterProcess } from './harness.js';

const health = { 'log-fluentbit': { status: 'healthy' }, 'metric-node-exporter': { status: 'healthy' } };
const reportBody = () => ({ timestamp: new Date().toISOString(), health });

describe('end-to-end scenarios 02–09 (two workers)', () => {
  const t = tempDir('argus-e2e-');
  let m: MasterProcess;
  let nodeId = '';
  before(async () => { m = await startMaster(t.dir); });
  after(async () => {
    if (m) await stopMaster(m);
    t.cleanup();
  });

  const status = async (id: string) => (await request('GET', `${m.api}/nodes/${id}`)).body.status as string;

  it('02: is ready and publishes [] in nodes.json', async () => {
    assert.deepEqual(await request('GET', `${m.base}/readyz`), { status: 200, body: { status: 'ready' } });
    assert.deepEqual(await request('GET', `${m.api}/readyz`), { status: 200, body: { status: 'ready' } });
    assert.deepEqual(await request('GET', `${m.base}/healthz`), { status: 200, body: { status: 'ok' } });
    assert.deepEqual(readNodesJson(m), []);
  });

  it('03: registers a node via the API and lists it', async () => {
    const res = await request('POST', `${m.api}/nodes`, registrationBody());
    assert.equal(res.status, 201);
    assert.match(res.body.id, /^A\d+$/);
    assert.equal(res.body.status, 'initialized');
    nodeId = res.body.id;
    const list = await request('GET', `${m.api}/nodes`);
    assert.deepEqual(list.body, [{ id: nodeId, name: 'dev-user-inst-pod-0', status: 'initialized', type: 'agent', version: '1.1.0' }]);
  });

  it('04: re-registers (200) and answers the error cases (404, 500, 400)', async () => {
    const again = await request('POST', `${m.api}/nodes`, { ...registrationBody(), id: nodeId, version: '1.1.1' });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, nodeId);
    assert.equal(again.body.version, '1.1.1');
    const byName = await request('POST', `${m.api}/nodes`, registrationBody());
    assert.equal(byName.status, 200);
    assert.equal(byName.body.id, nodeId);
    const unknown = await request('POST', `${m.api}/nodes`, { ...registrationBody(), id: 'A999' });
    assert.equal(unknown.status, 404);
    assert.equal(typeof unknown.body.error, 'string');
    const mismatch = await request('POST', `${m.api}/nodes`, { ...registrationBody('another-name'), id: nodeId });
    assert.equal(mismatch.status, 500);
    assert.equal(typeof mismatch.body.error, 'string');
    const bad = await request('POST', `${m.api}/nodes`, { name: 'x' });
    assert.equal(bad.status, 400);
    assert.equal((await request('GET', `${m.api}/nodes`)).body.length, 1);
  });

  it('05: status moves initialized → online → offline → online', async () => {
    assert.equal(await status(nodeId), 'initialized');
    const res = await request('PUT', `${m.api}/nodes/${nodeId}/status`, reportBody());
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'online', 'online at once, not at the next sweep');
    assert.deepEqual(res.body.health, health);
    assert.ok(res.body.last_report && res.body.agent_last_report);
    await waitFor('nodes.json to list the node', () => readNodesJson(m).some((e) => e.node_id === nodeId), 2_000);
    await waitFor('the node to go offline', async () => (await status(nodeId)) === 'offline', 6_000);
    await waitFor('nodes.json to drop the node', () => readNodesJson(m).length === 0, 2_000);
    assert.equal((await request('PUT', `${m.api}/nodes/${nodeId}/status`, reportBody())).body.status, 'online');
  });

  it('06: config and labels reach nodes.json; an offline node is left out', async () => {
    const res = await request('PUT', `${m.api}/nodes/${nodeId}/config`, { config: { log_level: 'debug' }, label: ['gpu', 'exp001'] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.config, { log_level: 'debug' });
    assert.deepEqual(res.body.label, ['gpu', 'exp001']);
    const entries = await waitFor('labels in nodes.json', () => {
      const doc = readNodesJson(m);
      return doc[0]?.labels.length === 2 && doc;
    }, 2_000);
    assert.deepEqual(entries, [{ node_id: nodeId, user_id: 'testuser', ip: '10.0.0.10', hostname: 'dev-user-inst-pod-0', labels: ['gpu', 'exp001'] }]);
    await waitFor('the node to go offline', async () => (await status(nodeId)) === 'offline', 6_000);
    await waitFor('nodes.json to leave the offline node out', () => readNodesJson(m).length === 0, 2_000);
    await request('PUT', `${m.api}/nodes/${nodeId}/config`, { label: ['cpu'] });
    assert.deepEqual(readNodesJson(m), [], 'a label change of an offline node publishes nothing');
  });

  it('07: statistics with a single (offline) node, nodes.json empty', async () => {
    assert.deepEqual((await request('GET', `${m.api}/nodes/statistics`)).body, { total: 1, status_statistics: [{ status: 'offline', count: 1 }] });
    assert.deepEqual(readNodesJson(m), []);
  });

  let secondId = '';
  it('08: two nodes, one online and one offline: statistics and nodes.json', async () => {
    const res = await request('POST', `${m.api}/nodes`, registrationBody('dev-user-inst-pod-1', { meta_data: { hostname: 'pod-1', ip: '10.0.0.11', user: 'testuser' } }));
    assert.equal(res.status, 201);
    secondId = res.body.id;
    assert.notEqual(secondId, nodeId);
    assert.equal((await request('PUT', `${m.api}/nodes/${secondId}/status`, reportBody())).body.status, 'online');
    assert.deepEqual((await request('GET', `${m.api}/nodes/statistics`)).body, {
      total: 2,
      status_statistics: [{ status: 'offline', count: 1 }, { status: 'online', count: 1 }],
    });
    await waitFor('nodes.json with the online node only', () => {
      const doc = readNodesJson(m);
      return doc.length === 1 && doc[0]!.node_id === secondId;
    }, 2_000);
  });

  it('09: a restart keeps nodes, statistics and nodes.json', async () => {
    // Refresh the online node so it stays within the offline threshold across the restart.
    await request('PUT', `${m.api}/nodes/${secondId}/status`, reportBody());
    const nodesBefore = await Promise.all([nodeId, secondId].map(async (id) => (await request('GET', `${m.api}/nodes/${id}`)).body));
    const statsBefore = (await request('GET', `${m.api}/nodes/statistics`)).body;
    const fileBefore = readNodesJson(m);
    const exit = await stopMaster(m);
    assert.deepEqual(exit, { code: 0, signal: null }, 'graceful SIGTERM exits 0');
    assert.ok(existsSync(m.nodesJsonPath));
    const port = new URL(m.base).port;
    m = await startMaster(t.dir, {}, Number(port));
    const nodesAfter = await Promise.all([nodeId, secondId].map(async (id) => (await request('GET', `${m.api}/nodes/${id}`)).body));
    assert.deepEqual(nodesAfter, nodesBefore);
    assert.deepEqual((await request('GET', `${m.api}/nodes/statistics`)).body, statsBefore);
    assert.deepEqual(readNodesJson(m), fileBefore);
    const third = await request('POST', `${m.api}/nodes`, registrationBody('after-restart'));
    assert.equal(third.body.id, `A${Number(secondId.slice(1)) + 1}`, 'IDs keep increasing across restarts');
  });

  it('recreates nodes.json at the next sweep when it is deleted', async () => {
    rmSync(m.nodesJsonPath);
    await waitFor('nodes.json to be recreated', () => existsSync(m.nodesJsonPath), 2_000);
    assert.ok(Array.isArray(readNodesJson(m)));
  });
});
