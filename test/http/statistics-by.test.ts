// GET /nodes/statistics?by= (SPEC §17): groups by a meta_data field or a label key with each group's
// counts per status and online capacity; without `by` the original body, unchanged; a bad `by` is a 400.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { registrationBody } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { strictJson } from '../helpers/strict-json.js';

const BASE = '/api/v1/master';
let m: TestMaster;
afterEach(async () => { await m.close(); });
const get = async (url: string) => {
  const res = await m.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: strictJson(res.rawPayload) };
};

describe('statistics by a field or label key', () => {
  it('groups by meta.user with counts per status and the online capacity; by a label key; within a selector', async () => {
    m = await makeTestMaster();
    const users = ['alice', 'alice', 'bob'];
    for (let i = 0; i < 3; i++) {
      await m.app.inject({ method: 'POST', url: `${BASE}/nodes`, payload: registrationBody(`n${i}`, { meta_data: { hostname: `n${i}`, ip: '10.0.0.1', user: users[i], cpu_number: 8, gpu_number: 2, memory_in_bytes: 1024 } }) });
      await m.app.inject({ method: 'PUT', url: `${BASE}/nodes/A${i + 1}/config`, payload: { label: [`rack=${i === 2 ? 8 : 7}`] } });
    }
    await m.app.inject({ method: 'PUT', url: `${BASE}/nodes/A1/status`, payload: { timestamp: '2025-09-24T03:20:00Z', health: {} } });
    const res = await get(`${BASE}/nodes/statistics?by=meta.user`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      total: 3,
      groups: [
        { key: 'alice', total: 2, status_statistics: [{ status: 'initialized', count: 1 }, { status: 'online', count: 1 }], capacity: { cpu_number: 8, gpu_number: 2, memory_in_bytes: 1024 } },
        { key: 'bob', total: 1, status_statistics: [{ status: 'initialized', count: 1 }], capacity: { cpu_number: 0, gpu_number: 0, memory_in_bytes: 0 } },
      ],
    });
    assert.deepEqual((await get(`${BASE}/nodes/statistics?by=rack`)).body.groups.map((g: { key: string; total: number }) => [g.key, g.total]), [['7', 2], ['8', 1]]);
    assert.deepEqual((await get(`${BASE}/nodes/statistics?by=meta.user&selector=rack%3D8`)).body.groups.map((g: { key: string }) => g.key), ['bob']);
    assert.deepEqual((await get(`${BASE}/nodes/statistics`)).body, { total: 3, status_statistics: [{ status: 'initialized', count: 2 }, { status: 'online', count: 1 }] }, 'without by: the original body');
  });

  it('refuses a by that is neither a field, a meta_data path nor a label key', async () => {
    m = await makeTestMaster();
    const res = await get(`${BASE}/nodes/statistics?by=${encodeURIComponent('meta.a b')}`);
    assert.equal(res.status, 400);
    assert.match(res.body.error, /by: a field \(status, health_state, type, version\), meta\.<key>/);
  });
});
