import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { registrationBody } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';

const BASE = '/api/v1/master';
let m: TestMaster;
beforeEach(async () => { m = await makeTestMaster({ sdPorts: [9100] }); });
afterEach(async () => { await m.close(); });

const json = (payload: unknown) => ({ 'content-type': 'application/json' as const, payload: JSON.stringify(payload) });
async function register(name: string, meta: Record<string, unknown>) {
  const res = await m.app.inject({ method: 'POST', url: `${BASE}/nodes`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(registrationBody(name, { meta_data: meta })) });
  return res.json().id as string;
}
async function online(id: string) {
  await m.app.inject({ method: 'PUT', url: `${BASE}/nodes/${id}/status`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ timestamp: '2025-09-24T03:20:00Z', health: {} }) });
}
async function labels(id: string, label: string[]) {
  const { payload } = json({ label });
  await m.app.inject({ method: 'PUT', url: `${BASE}/nodes/${id}/config`, headers: { 'content-type': 'application/json' }, payload });
}
const sd = (query = '', headers: Record<string, string> = {}) => m.app.inject({ method: 'GET', url: `${BASE}/sd/prometheus${query}`, headers });

describe('GET /api/v1/master/sd/prometheus', () => {
  it('answers [] when no node is online', async () => {
    const res = await sd();
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.json(), []);
    assert.ok(res.headers.etag);
  });

  it('answers one group per online node, ordered by ID, with the __meta_argus_* labels', async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 11; i++) ids.push(await register(`pod-${i}`, { hostname: `pod-${i}`, ip: `10.0.0.${i}`, user: 'alice', instance: 'inst', env: 'prod' }));
    for (const id of [ids[10]!, ids[1]!]) await online(id);
    await labels(ids[1]!, ['gpu', 'exp-001/a']);
    const res = await sd();
    assert.deepEqual(res.json(), [
      {
        targets: ['10.0.0.2:9100'],
        labels: {
          __meta_argus_node_id: 'A2', __meta_argus_name: 'pod-2', __meta_argus_hostname: 'pod-2', __meta_argus_user: 'alice',
          __meta_argus_instance: 'inst', __meta_argus_env: 'prod', __meta_argus_version: '1.1.0', __meta_argus_status: 'online',
          __meta_argus_labels: ',gpu,exp-001/a,', __meta_argus_health: 'unknown', __meta_argus_failing: ',,', __meta_argus_maintenance: 'false',
          __meta_argus_label_gpu: 'true', __meta_argus_label_exp_001_a: 'true',
        },
      },
      {
        targets: ['10.0.0.11:9100'],
        labels: {
          __meta_argus_node_id: 'A11', __meta_argus_name: 'pod-11', __meta_argus_hostname: 'pod-11', __meta_argus_user: 'alice',
          __meta_argus_instance: 'inst', __meta_argus_env: 'prod', __meta_argus_version: '1.1.0', __meta_argus_status: 'online',
          __meta_argus_labels: ',,', __meta_argus_health: 'unknown', __meta_argus_failing: ',,', __meta_argus_maintenance: 'false',
        },
      },
    ]);
  });

  it('takes ports from ?port= (repeatable or comma-separated) and brackets IPv6 addresses', async () => {
    await online(await register('v6', { ip: 'fd00::5' }));
    assert.deepEqual(JSON.parse((await sd('?port=9100&port=9400')).payload)[0].targets, ['[fd00::5]:9100', '[fd00::5]:9400']);
    assert.deepEqual(JSON.parse((await sd('?port=9835,9100')).payload)[0].targets, ['[fd00::5]:9835', '[fd00::5]:9100']);
  });

  it('filters by ?status= and ?label= (all labels required)', async () => {
    const a = await register('a', { ip: '10.0.0.1' });
    const b = await register('b', { ip: '10.0.0.2' });
    await register('c', { ip: '10.0.0.3' });
    await online(a);
    await online(b);
    await labels(a, ['gpu', 'h100']);
    await labels(b, ['gpu']);
    const ids = async (q: string) => (await sd(q)).json().map((g: any) => g.labels.__meta_argus_node_id);
    assert.deepEqual(await ids('?label=gpu'), ['A1', 'A2']);
    assert.deepEqual(await ids('?label=gpu&label=h100'), ['A1']);
    assert.deepEqual(await ids('?label=nope'), []);
    assert.deepEqual(await ids('?status=initialized'), ['A3']);
    assert.deepEqual(await ids('?status=initialized,online'), ['A1', 'A2', 'A3']);
  });

  it('leaves out a node with neither ip nor hostname, and uses the hostname when there is no ip', async () => {
    await online(await register('none', { user: 'u' }));
    await online(await register('named', { hostname: 'gpu-7.example' }));
    assert.deepEqual((await sd()).json().map((g: any) => g.targets), [['gpu-7.example:9100']]);
  });

  it('answers 304 for a matching If-None-Match and a new ETag after a change', async () => {
    const first = await sd();
    const etag = String(first.headers.etag);
    const again = await sd('', { 'if-none-match': etag });
    assert.equal(again.statusCode, 304);
    assert.equal(again.payload, '');
    await online(await register('x', { ip: '10.0.0.9' }));
    const changed = await sd('', { 'if-none-match': etag });
    assert.equal(changed.statusCode, 200);
    assert.notEqual(changed.headers.etag, etag);
  });

  it('lists only hosts that are an IP address or a host name; the rest are counted and logged', async () => {
    for (const [name, meta] of [['space', { ip: 'a b\nc' }], ['url', { hostname: 'master.internal/metrics?x=' }], ['bracket', { ip: '[10.0.0.1:22]' }], ['good', { ip: '10.0.0.5' }]] as const) {
      await online(await register(name, meta));
    }
    assert.deepEqual((await sd()).json().map((g: any) => g.targets), [['10.0.0.5:9100']]);
    const metrics = (await m.app.inject({ method: 'GET', url: '/metrics' })).payload;
    assert.match(metrics, /^argus_master_sd_invalid_host_nodes 3$/m);
  });

  it('changes the ETag when an online node changes its labels or address (the cache follows the fleet)', async () => {
    const id = await register('n', { ip: '10.0.0.1' });
    await online(id);
    const etags = [String((await sd()).headers.etag)];
    await labels(id, ['gpu']);
    etags.push(String((await sd()).headers.etag));
    await register('n', { ip: '10.0.0.2' });
    const res = await sd();
    etags.push(String(res.headers.etag));
    assert.equal(new Set(etags).size, 3);
    assert.deepEqual(res.json()[0].targets, ['10.0.0.2:9100']);
    assert.deepEqual(res.json()[0].labels.__meta_argus_labels, ',gpu,');
  });

  it('builds a document once for many identical polls at a time', async () => {
    await online(await register('n', { ip: '10.0.0.1' }));
    let builds = 0;
    const original = m.store.targetGroupsDocument.bind(m.store);
    m.store.targetGroupsDocument = async (q) => { builds++; return original(q); };
    const answers = await Promise.all(Array.from({ length: 50 }, () => sd('?port=9100&port=9200')));
    assert.ok(answers.every((a) => a.statusCode === 200 && a.headers.etag === answers[0]!.headers.etag));
    assert.equal(builds, 1);
    assert.equal((await sd('?port=9100&port=9200', { 'if-none-match': String(answers[0]!.headers.etag) })).statusCode, 304);
    assert.equal(builds, 1, 'a 304 after no change rebuilds nothing');
  });

  it('answers 400 for more than 16 ports, and serves 16', async () => {
    await online(await register('n', { ip: '10.0.0.1' }));
    const ports = (n: number) => `?${Array.from({ length: n }, (_, i) => `port=${9100 + i}`).join('&')}`;
    assert.equal((await sd(ports(16))).json()[0].targets.length, 16);
    const res = await sd(ports(17));
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error, /at most 16 ports/);
  });

  for (const q of ['?port=0', '?port=http', '?port=70000', '?status=dead']) {
    it(`answers 400 for ${q}`, async () => {
      const res = await sd(q);
      assert.equal(res.statusCode, 400);
      assert.deepEqual(Object.keys(res.json()), ['error']);
    });
  }
});

describe('GET /metrics', () => {
  it('exposes nodes by status, transitions, registrations, reports and HTTP requests', async () => {
    const id = await register('n1', { ip: '10.0.0.1' });
    await register('n2', { ip: '10.0.0.2' });
    await online(id);
    await m.app.inject({ method: 'POST', url: `${BASE}/nodes`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ ...registrationBody('n9'), id: 'A99' }) });
    const res = await m.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    const text = res.payload;
    assert.match(text, /^argus_master_nodes\{status="online"\} 1$/m);
    assert.match(text, /^argus_master_nodes\{status="initialized"\} 1$/m);
    assert.match(text, /^argus_master_nodes\{status="offline"\} 0$/m);
    assert.match(text, /^argus_master_status_transitions_total\{from="initialized",to="online",cause="report"\} 1$/m);
    assert.match(text, /^argus_master_registrations_total\{result="created"\} 2$/m);
    assert.match(text, /^argus_master_registrations_total\{result="not_found"\} 1$/m);
    assert.match(text, /^argus_master_status_reports_total 1$/m);
    assert.match(text, /^argus_master_http_requests_total\{method="POST",route="\/api\/v1\/master\/nodes",code="201"\} 2$/m);
    assert.match(text, /^argus_master_http_requests_total\{method="PUT",route="\/api\/v1\/master\/nodes\/:id\/status",code="200"\} 1$/m);
    assert.match(text, /^argus_master_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/master\/nodes"\} 3$/m);
  });
});
