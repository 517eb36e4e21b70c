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

  it('pages through every matching node exactly once while nodes are added and removed', async () => {
    const t = tempDir('argus-e2e-');
    const m = await startMaster(t.dir);
    try {
      for (let i = 0; i < 60; i++) await requestFresh('POST', `${m.api}/nodes`, registrationBody(`p-${i}`));
      const lasting = new Set(Array.from({ length: 60 }, (_, i) => `A${i + 1}`).filter((id) => Number(id.slice(1)) % 3 !== 0));
      const seen: string[] = [];
      let url: string | null = `${m.api}/nodes?limit=7`;
      let churn = 0;
      for (let page = 0; url !== null && page < 100; page++) {
        const res = await requestFresh('GET', url);
        assert.equal(res.status, 200);
        seen.push(...(res.body as Array<{ id: string }>).map((n) => n.id));
        // Meanwhile: a node that stays is never touched; others are removed, new ones are added.
        await requestFresh('DELETE', `${m.api}/nodes/A${3 * (page + 1)}`);
        await requestFresh('POST', `${m.api}/nodes`, registrationBody(`added-${page}`));
        churn++;
        const link = res.headers.link as string | undefined;
        url = link ? `${m.base}${/<([^>]+)>/.exec(link)![1]}` : null;
      }
      assert.ok(churn > 5);
      assert.equal(new Set(seen).size, seen.length, 'no node twice');
      for (const id of lasting) assert.ok(seen.includes(id), `${id} (present throughout) was visited`);
      assert.deepEqual(seen, [...seen].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))), 'in ID order');
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });

  it('flags a node that goes online and offline FLAP_TRANSITIONS times within the window, and lists it', async () => {
    const t = tempDir('argus-e2e-');
    const m = await startMaster(t.dir, { FLAP_TRANSITIONS: '3', FLAP_WINDOW_SECONDS: '60', OFFLINE_BRAKE: 'off' });
    try {
      await requestFresh('POST', `${m.api}/nodes`, registrationBody('flappy'));
      await requestFresh('PUT', `${m.api}/nodes/A1/status`, report());
      // Past the restart grace (3 s), silence takes it offline and a report brings it back: twice.
      for (let round = 0; round < 2; round++) {
        await waitFor('offline', async () => (await requestFresh('GET', `${m.api}/nodes/A1`)).body.status === 'offline', 10_000);
        await requestFresh('PUT', `${m.api}/nodes/A1/status`, report());
      }
      const node = (await requestFresh('GET', `${m.api}/nodes/A1`)).body;
      assert.equal(node.flapping, true);
      assert.deepEqual((await requestFresh('GET', `${m.api}/nodes?flapping=true`)).body.map((n: any) => n.id), ['A1']);
      const events = (await requestFresh('GET', `${m.api}/events?type=node.flapping`)).body;
      assert.deepEqual(events.map((e: any) => [e.node_id, e.flapping]), [['A1', true]]);
      assert.match((await requestFresh('GET', `${m.base}/metrics`)).body as string, /^argus_master_flapping_nodes 1$/m);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });
});
