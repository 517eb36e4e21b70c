// GET /availability, GET /nodes/{id}/availability and GET /fleet/history (SPEC §17) over HTTP, on a
// manual clock: the shapes, paging like GET /nodes, CSV, grouping, and a 400 naming what is accepted.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { registrationBody } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { strictJson } from '../helpers/strict-json.js';
import { rfc3339 } from '../../src/domain/time.js';

const BASE = '/api/v1/master';
const H = 3_600_000;
let m: TestMaster;
afterEach(async () => { await m.close(); });
const get = async (url: string) => {
  const res = await m.app.inject({ method: 'GET', url });
  return { status: res.statusCode, headers: res.headers, text: res.payload, body: res.headers['content-type']?.toString().startsWith('application/json') ? strictJson(res.rawPayload) : null };
};

/** Two nodes registered now; A1 reports (online), A2 stays initialized; then an hour, A1 offline for the last half (a sweep). */
async function fleet() {
  m = await makeTestMaster({ onlineSeconds: 60, offlineSeconds: 90 });
  for (const [i, user] of [[1, 'alice'], [2, 'bob']] as const) {
    await m.app.inject({ method: 'POST', url: `${BASE}/nodes`, payload: registrationBody(`n${i}`, { meta_data: { hostname: `n${i}`, ip: '10.0.0.1', user } }) });
  }
  const report = () => m.app.inject({ method: 'PUT', url: `${BASE}/nodes/A1/status`, payload: { timestamp: new Date(m.clock.now()).toISOString(), health: {} } });
  await report();
  m.clock.advance(H / 2 - 90_001);
  await report();
  m.clock.advance(90_001);
  await m.sweeping.heartbeat({ intervalMs: 30_000, publishErrors: [] }); // the sweeper ran meanwhile: no restart grace
  await m.sweeping.sweep();
  m.clock.advance(H / 2);
}

describe('availability over HTTP (SPEC §17)', () => {
  it('answers a window of a selection, each node and the total, to the second', async () => {
    await fleet();
    const res = await get(`${BASE}/availability?window=24h`);
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-total-count'], '2');
    const body = res.body;
    assert.deepEqual([body.window, body.complete, body.to], ['24h', true, rfc3339(m.clock.now())]);
    assert.deepEqual(body.nodes, [
      { id: 'A1', online_ratio: 0.5, offline_seconds: 1800, incidents: 1, maintenance_seconds: 0 },
      { id: 'A2', online_ratio: 0, offline_seconds: 0, incidents: 0, maintenance_seconds: 0 },
    ]);
    assert.deepEqual(body.total, { nodes: 2, online_ratio: 0.25, offline_seconds: 1800, incidents: 1, maintenance_seconds: 0 });
    const one = await get(`${BASE}/nodes/A1/availability?window=7d`);
    assert.deepEqual([one.status, one.body.id, one.body.window, one.body.online_ratio, one.body.complete], [200, 'A1', '7d', 0.5, true]);
    assert.equal((await get(`${BASE}/nodes/A9/availability`)).status, 404);
    assert.equal((await get(`${BASE}/availability?selector=${encodeURIComponent('status=offline')}`)).body.nodes.length, 1);
  });

  it('pages like GET /nodes: a limit, X-Total-Count and a Link to the next page', async () => {
    await fleet();
    const first = await get(`${BASE}/availability?limit=1`);
    assert.deepEqual([first.body.nodes.map((n: { id: string }) => n.id), first.headers['x-total-count'], first.body.total.nodes], [['A1'], '2', 2]);
    assert.equal(first.headers.link, `<${BASE}/availability?limit=1&after=A1>; rel="next"`);
    const second = await get(`${BASE}/availability?limit=1&after=A1`);
    assert.deepEqual([second.body.nodes.map((n: { id: string }) => n.id), second.headers.link], [['A2'], undefined]);
  });

  it('exports CSV: every node, a node, and groups by a field', async () => {
    await fleet();
    const csv = await get(`${BASE}/availability?format=csv&limit=1`);
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.match(String(csv.headers['content-disposition']), /attachment; filename="availability-24h.csv"/);
    assert.equal(csv.text, 'id,online_ratio,offline_seconds,incidents,maintenance_seconds,complete,from\r\nA1,0.5,1800,1,0,true,\r\nA2,0,0,0,0,true,\r\n', 'every node, not a page');
    const one = await get(`${BASE}/nodes/A1/availability?format=csv`);
    assert.match(one.text, /^id,online_ratio,.*\r\nA1,0\.5,1800,1,0,true,/);
    const groups = await get(`${BASE}/availability?by=meta.user`);
    assert.deepEqual(groups.body.groups, [
      { key: 'alice', nodes: 1, online_ratio: 0.5, offline_seconds: 1800, incidents: 1, maintenance_seconds: 0 },
      { key: 'bob', nodes: 1, online_ratio: 0, offline_seconds: 0, incidents: 0, maintenance_seconds: 0 },
    ]);
    const groupsCsv = await get(`${BASE}/availability?by=meta.user&format=csv`);
    assert.equal(groupsCsv.text, 'key,nodes,online_ratio,offline_seconds,incidents,maintenance_seconds\r\nalice,1,0.5,1800,1,0\r\nbob,1,0,0,0,0\r\n');
  });

  it("answers the fleet's counts over time, the last point now and equal to the statistics", async () => {
    await fleet();
    const res = await get(`${BASE}/fleet/history?window=24h&step=15m`);
    assert.equal(res.status, 200);
    const points = res.body.points as Array<Record<string, number | string>>;
    assert.equal(res.body.step_seconds, 900);
    assert.equal(points.length, 24 * 4 + (m.clock.now() % (15 * 60_000) === 0 ? 0 : 1));
    const last = points.at(-1)!;
    const stats = (await get(`${BASE}/nodes/statistics`)).body.status_statistics as Array<{ status: string; count: number }>;
    assert.equal(last.time, rfc3339(m.clock.now()));
    for (const s of stats) assert.equal(last[s.status], s.count, s.status);
    assert.deepEqual([last.online, last.offline, last.initialized], [0, 1, 1]);
    const hourAgo = points.find((p) => Date.parse(String(p.time)) <= m.clock.now() - H + 15 * 60_000 && Date.parse(String(p.time)) > m.clock.now() - H)!;
    assert.deepEqual([hourAgo.online, hourAgo.initialized], [1, 1], 'an hour ago: A1 had reported');
    assert.ok(points.every((p, i) => i === 0 || Date.parse(String(p.time)) > Date.parse(String(points[i - 1]!.time))), 'ordered by time');
  });

  it('refuses an unknown window, step, format or by with a 400 naming what is accepted', async () => {
    m = await makeTestMaster();
    const cases: Array<[string, RegExp]> = [
      [`${BASE}/availability?window=1y`, /window: one of 24h, 7d, 30d, 90d/],
      [`${BASE}/availability?format=xml`, /format: json or csv/],
      [`${BASE}/availability?by=${encodeURIComponent('meta.a b')}`, /by: a field/],
      [`${BASE}/nodes/A1/availability?window=2d`, /window: one of 24h, 7d, 30d, 90d/],
      [`${BASE}/fleet/history?window=30d`, /window: one of 24h, 7d/],
      [`${BASE}/fleet/history?step=7m`, /step: a multiple of 5 minutes/],
      [`${BASE}/fleet/history?step=10s`, /step: a multiple of 5 minutes/],
      [`${BASE}/availability?after=x%20y`, /after must be a node ID/],
    ];
    for (const [url, message] of cases) {
      const res = await get(url);
      assert.equal(res.status, 400, url);
      assert.match(res.body.error, message, url);
    }
  });
});
