// Fleet lifecycle on the built CLI with two workers and second-scale settings: deregistration reaches
// nodes.json within a second; garbage collection removes nodes that stayed offline or never reported.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registrationBody, tempDir } from '../helpers/fixtures.js';
import { readNodesJson, requestFresh, startMaster, stopMaster, waitFor } from './harness.js';

const report = () => ({ timestamp: new Date().toISOString(), health: {} });

describe('end-to-end: lifecycle (two workers)', () => {
  it('takes a deregistered node out of nodes.json within a second', async () => {
    const t = tempDir('argus-e2e-');
    const m = await startMaster(t.dir);
    try {
      await requestFresh('POST', `${m.api}/nodes`, registrationBody('a'));
      await requestFresh('PUT', `${m.api}/nodes/A1/status`, report());
      await waitFor('nodes.json with the node', () => readNodesJson(m).length === 1, 3_000, 20);
      const started = Date.now();
      assert.equal((await requestFresh('DELETE', `${m.api}/nodes/A1`)).status, 200);
      await waitFor('nodes.json without it', () => readNodesJson(m).length === 0, 1_000, 20);
      assert.ok(Date.now() - started < 1_000);
      assert.deepEqual((await requestFresh('GET', `${m.api}/nodes`)).body, []);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });

  it('collects nodes offline or never reporting for longer than NODE_GC_SECONDS, after the restart grace', async () => {
    const t = tempDir('argus-e2e-');
    const m = await startMaster(t.dir, { NODE_GC_SECONDS: '1' });
    try {
      const startedAt = Date.now();
      await requestFresh('POST', `${m.api}/nodes`, registrationBody('never-reports'));
      await requestFresh('POST', `${m.api}/nodes`, registrationBody('goes-offline'));
      await requestFresh('POST', `${m.api}/nodes`, registrationBody('keeps-reporting'));
      await requestFresh('PUT', `${m.api}/nodes/A2/status`, report());
      let reporting = true;
      const agent = (async () => {
        while (reporting) {
          await requestFresh('PUT', `${m.api}/nodes/A3/status`, report());
          await new Promise((r) => setTimeout(r, 300));
        }
      })();
      await waitFor('the two silent nodes to be collected', async () => (await requestFresh('GET', `${m.api}/nodes`)).body.length === 1, 12_000);
      assert.ok(Date.now() - startedAt > 3_000, 'not during the restart grace (the offline threshold, 3 s)');
      assert.deepEqual((await requestFresh('GET', `${m.api}/nodes`)).body.map((n: any) => n.id), ['A3']);
      const events = (await requestFresh('GET', `${m.api}/events?type=node.deregistered`)).body;
      assert.deepEqual(events.map((e: any) => [e.node_id, e.cause]).sort(), [['A1', 'gc'], ['A2', 'gc']]);
      reporting = false;
      await agent;
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });
});
