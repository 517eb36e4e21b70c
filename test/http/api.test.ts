import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { registrationBody } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { strictJson } from '../helpers/strict-json.js';
import type { ClusterInfo } from '../../src/cluster/leadership.js';

const BASE = '/api/v1/master';
const T0 = '2025-09-24T03:20:00Z';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
type Json = Record<string, unknown> & { error?: string };

let m: TestMaster;
beforeEach(async () => { m = await makeTestMaster({ onlineSeconds: 120, offlineSeconds: 180 }); });
afterEach(async () => { await m.close(); });

async function call(method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await m.app.inject({
    method,
    url,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  assert.match(String(res.headers['content-type']), /^application\/json/, `${method} ${url} answers JSON`);
  return { status: res.statusCode, body: strictJson(res.rawPayload, `${method} ${url}`) as Json & Json[] };
}

/** Asserts an error answer: the status and a body that is exactly {"error": "<non-empty>"}. */
function assertError(res: { status: number; body: Json }, status: number, pattern?: RegExp) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body), ['error']);
  assert.equal(typeof res.body.error, 'string');
  assert.ok(res.body.error!.length > 0);
  if (pattern) assert.match(res.body.error!, pattern);
}

const register = (body: unknown) => call('POST', `${BASE}/nodes`, body);
const report = (id: string, body: unknown) => call('PUT', `${BASE}/nodes/${id}/status`, body);
const configure = (id: string, body: unknown) => call('PUT', `${BASE}/nodes/${id}/config`, body);
const healthy = { timestamp: '2025-09-24T03:24:59Z', health: { 'log-fluentbit': { status: 'healthy' }, 'metric-node-exporter': { status: 'healthy' } } };

describe('probes', () => {
  for (const prefix of ['', BASE]) {
    it(`GET ${prefix}/healthz answers {"status":"ok"}`, async () => {
      assert.deepEqual(await call('GET', `${prefix}/healthz`), { status: 200, body: { status: 'ok' } });
    });
    it(`GET ${prefix}/readyz answers {"status":"ready"} after a database query`, async () => {
      assert.deepEqual(await call('GET', `${prefix}/readyz`), { status: 200, body: { status: 'ready' } });
    });
  }
  it('GET /readyz on PostgreSQL answers {"status":"ready"} as SPEC §2 fixes it (the cluster is GET /cluster\'s), warning of a master out of contact or no leader', async () => {
    const master = (instance: string, seconds: number) => ({ instance, host: 'box', started: T0, last_seen: T0, seconds_since_contact: seconds });
    let info: ClusterInfo = {
      instance: 'm-a', role: 'leader',
      leader: { instance: 'm-a', epoch: 4, since: T0, lease_expires: T0, live: true },
      masters: [master('m-a', 0.4), master('m-gone', 7_200)],
    };
    const c = await makeTestMaster({ cluster: { info: async () => info, leaseSeconds: 15 } });
    try {
      const ready = async () => {
        const r = await c.app.inject({ method: 'GET', url: '/readyz' });
        return { status: r.statusCode, body: JSON.parse(r.body) as Json };
      };
      // m-gone is silent for more than an hour: a master gone for good, no warning.
      assert.deepEqual(await ready(), { status: 200, body: { status: 'ready' } });
      // m-b is silent for more than 3 leases (45 s).
      info = { ...info, masters: [...info.masters, master('m-b', 46)] };
      assert.deepEqual(await ready(), { status: 200, body: { status: 'ready', warnings: ['master m-b: no contact for 46 s'] } });
      info = { ...info, role: 'follower', leader: { ...info.leader!, live: false }, masters: [master('m-a', 1)] };
      assert.deepEqual((await ready()).body, { status: 'ready', warnings: [`no leader: the lease of m-a ran out at ${T0}`] });
      // The details are GET /cluster's.
      const cluster = await c.app.inject({ method: 'GET', url: `${BASE}/cluster` });
      assert.deepEqual(JSON.parse(cluster.body), info);
    } finally {
      await c.close();
    }
  });

  it('GET /readyz answers 503 with an error when the database fails', async () => {
    await m.store.close();
    assertError(await call('GET', '/readyz'), 503, /database/);
    assert.equal((await call('GET', '/healthz')).status, 200);
  });
});

describe('POST /api/v1/master/nodes', () => {
  it('registers a new node: 201 with the full node object, status initialized', async () => {
    const res = await register(registrationBody());
    assert.equal(res.status, 201);
    assert.deepEqual(res.body, {
      id: 'A1',
      name: 'dev-user-inst-pod-0',
      type: 'agent',
      version: '1.1.0',
      status: 'initialized',
      config: {},
      label: [],
      meta_data: registrationBody().meta_data,
      health: {},
      register_time: T0,
      last_report: null,
      agent_last_report: null,
      last_updated: T0,
      status_since: T0,
      flapping: false,
      clock_skew_seconds: null,
      health_state: 'unknown', conditions: [], maintenance: null,
    });
  });

  it('keeps unknown meta_data keys as given', async () => {
    const body = registrationBody('n', { meta_data: { ...registrationBody().meta_data, rack: 'r12', gpus: [{ model: 'H100' }] } });
    const res = await register(body);
    assert.deepEqual(res.body.meta_data, body.meta_data);
  });

  it('allocates increasing IDs A1, A2, …', async () => {
    assert.equal((await register(registrationBody('a'))).body.id, 'A1');
    assert.equal((await register(registrationBody('b'))).body.id, 'A2');
  });

  it('re-registers a known name without an id: 200, same node, updated version', async () => {
    await register(registrationBody());
    m.clock.advance(5_000);
    const res = await register(registrationBody(undefined, { version: '1.2.0' }));
    assert.equal(res.status, 200);
    assert.equal(res.body.id, 'A1');
    assert.equal(res.body.version, '1.2.0');
    assert.equal(res.body.register_time, T0);
    assert.equal(res.body.last_updated, '2025-09-24T03:20:05Z');
    assert.equal((await call('GET', `${BASE}/nodes`)).body.length, 1);
  });

  for (const id of [null, '']) {
    it(`treats id ${JSON.stringify(id)} as absent`, async () => {
      assert.equal((await register({ ...registrationBody(), id })).status, 201);
      const again = await register({ ...registrationBody(), id });
      assert.equal(again.status, 200);
      assert.equal(again.body.id, 'A1');
    });
  }

  it('re-registers with its id and matching name: 200', async () => {
    await register(registrationBody());
    const res = await register({ ...registrationBody(), id: 'A1', type: 'agent-v2' });
    assert.equal(res.status, 200);
    assert.equal(res.body.type, 'agent-v2');
  });

  it('answers 404 for an id the master does not know', async () => {
    assertError(await register({ ...registrationBody(), id: 'A99' }), 404, /A99/);
    assert.deepEqual((await call('GET', `${BASE}/nodes`)).body, []);
  });

  it('answers 500 when the id belongs to another name, changing nothing', async () => {
    await register(registrationBody('first'));
    assertError(await register({ ...registrationBody('second'), id: 'A1' }), 500, /first/);
    assert.equal((await call('GET', `${BASE}/nodes/A1`)).body.name, 'first');
  });

  it('never changes status, config, label, health or report times', async () => {
    await register(registrationBody());
    await report('A1', healthy);
    await configure('A1', { config: { a: 1 }, label: ['gpu'] });
    const before = (await call('GET', `${BASE}/nodes/A1`)).body;
    m.clock.advance(1_000);
    const after = (await register({ ...registrationBody(), version: '2' })).body;
    for (const k of ['status', 'config', 'label', 'health', 'last_report', 'agent_last_report', 'register_time']) {
      assert.deepEqual(after[k], before[k], k);
    }
  });

  const bad: Array<[string, unknown]> = [
    ['a missing name', { ...registrationBody(), name: undefined }],
    ['an empty name', registrationBody('')],
    ['a numeric name', { ...registrationBody(), name: 7 }],
    ['a missing type', { ...registrationBody(), type: undefined }],
    ['an empty version', { ...registrationBody(), version: '' }],
    ['a missing meta_data', { ...registrationBody(), meta_data: undefined }],
    ['meta_data as an array', { ...registrationBody(), meta_data: [] }],
    ['meta_data as null', { ...registrationBody(), meta_data: null }],
    ['cpu_number as a string', registrationBody('n', { meta_data: { cpu_number: '4' } })],
    ['a negative gpu_number', registrationBody('n', { meta_data: { gpu_number: -1 } })],
    ['a fractional memory_in_bytes', registrationBody('n', { meta_data: { memory_in_bytes: 1.5 } })],
    ['a numeric hostname', registrationBody('n', { meta_data: { hostname: 5 } })],
    ['ip as null', registrationBody('n', { meta_data: { ip: null } })],
    ['a numeric id', { ...registrationBody(), id: 1 }],
    ['a JSON array body', [registrationBody()]],
    ['a JSON string body', '"hello"'],
    ['a JSON null body', 'null'],
    ['malformed JSON', '{"name": '],
  ];
  for (const [name, body] of bad) {
    it(`answers 400 for ${name}`, async () => {
      assertError(await register(body), 400);
      assert.deepEqual((await call('GET', `${BASE}/nodes`)).body, []);
    });
  }

  it('answers 400 for an empty body', async () => {
    const res = await m.app.inject({ method: 'POST', url: `${BASE}/nodes`, headers: { 'content-type': 'application/json' } });
    assertError({ status: res.statusCode, body: res.json() }, 400);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const res = await m.app.inject({ method: 'POST', url: `${BASE}/nodes`, headers: { 'content-type': 'text/plain' }, payload: 'name=x' });
    assertError({ status: res.statusCode, body: res.json() }, 415, /application\/json/);
  });
});

describe('GET /api/v1/master/nodes and /nodes/{id}', () => {
  it('lists [] at first', async () => {
    assert.deepEqual(await call('GET', `${BASE}/nodes`), { status: 200, body: [] });
  });
  it('lists {id, name, status, type, version} ordered by ID number', async () => {
    for (let i = 1; i <= 11; i++) await register(registrationBody(`n${i}`));
    const { body } = await call('GET', `${BASE}/nodes`);
    assert.deepEqual(body.map((n: Json) => n.id), Array.from({ length: 11 }, (_, i) => `A${i + 1}`));
    assert.deepEqual(body[1], { id: 'A2', name: 'n2', status: 'initialized', type: 'agent', version: '1.1.0' });
  });
  it('answers the full node by id', async () => {
    const created = (await register(registrationBody())).body;
    assert.deepEqual(await call('GET', `${BASE}/nodes/A1`), { status: 200, body: created });
  });
  it('answers 404 for an unknown id', async () => {
    assertError(await call('GET', `${BASE}/nodes/A1`), 404, /A1/);
  });
});

describe('PUT /api/v1/master/nodes/{id}/status', () => {
  it('records the receive time, the agent time, replaces health and turns the node online at once', async () => {
    await register(registrationBody());
    m.clock.advance(30_000);
    await report('A1', { timestamp: '2025-09-24T03:20:10Z', health: { old: { status: 'unhealthy' } } });
    m.clock.advance(30_000);
    const res = await report('A1', healthy);
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'online');
    assert.equal(res.body.last_report, '2025-09-24T03:21:00Z');
    assert.equal(res.body.agent_last_report, '2025-09-24T03:24:59Z');
    assert.deepEqual(res.body.health, healthy.health);
    assert.equal(res.body.last_updated, '2025-09-24T03:21:00Z');
    assert.equal(res.body.clock_skew_seconds, -239, 'receive time 03:21:00 minus agent time 03:24:59');
    assert.deepEqual((await call('GET', `${BASE}/nodes/A1`)).body, res.body);
  });

  it('normalises an agent timestamp with an offset to UTC', async () => {
    await register(registrationBody());
    const res = await report('A1', { timestamp: '2025-09-24T11:24:59+08:00', health: {} });
    assert.equal(res.body.agent_last_report, '2025-09-24T03:24:59Z');
    assert.match(String(res.body.last_report), RFC3339);
  });

  it('answers 404 for an unknown node', async () => {
    assertError(await report('A9', healthy), 404);
  });

  const bad: Array<[string, unknown]> = [
    ['a missing timestamp', { health: {} }],
    ['a timestamp that is not RFC 3339', { timestamp: 'yesterday', health: {} }],
    ['a timestamp without a zone', { timestamp: '2025-09-24T03:24:59', health: {} }],
    ['a numeric timestamp', { timestamp: 1727148299, health: {} }],
    ['a missing health', { timestamp: healthy.timestamp }],
    ['health as an array', { timestamp: healthy.timestamp, health: [] }],
    ['a health entry that is not an object', { timestamp: healthy.timestamp, health: { a: 'healthy' } }],
    ['an array body', []],
  ];
  for (const [name, body] of bad) {
    it(`answers 400 for ${name}, changing nothing`, async () => {
      await register(registrationBody());
      assertError(await report('A1', body), 400);
      const node = (await call('GET', `${BASE}/nodes/A1`)).body;
      assert.equal(node.status, 'initialized');
      assert.equal(node.last_report, null);
    });
  }
});

describe('PUT /api/v1/master/nodes/{id}/config', () => {
  it('merges config key by key and replaces labels', async () => {
    await register(registrationBody());
    await configure('A1', { config: { log_level: 'info', keep: true } });
    const res = await configure('A1', { config: { log_level: 'debug' }, label: ['gpu', 'exp001'] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.config, { log_level: 'debug', keep: true });
    assert.deepEqual(res.body.label, ['gpu', 'exp001']);
    const labelsOnly = await configure('A1', { label: ['cpu'] });
    assert.deepEqual(labelsOnly.body.config, { log_level: 'debug', keep: true });
    assert.deepEqual(labelsOnly.body.label, ['cpu']);
    assert.deepEqual((await configure('A1', { label: [] })).body.label, []);
  });

  it('answers 404 for an unknown node', async () => {
    assertError(await configure('A5', { label: ['x'] }), 404);
  });

  const bad: Array<[string, unknown]> = [
    ['an empty object', {}],
    ['only unknown keys', { labels: ['typo'] }],
    ['labels that are not strings', { label: [1, 2] }],
    ['a label string instead of an array', { label: 'gpu' }],
    ['config as an array', { config: [1] }],
    ['config as null', { config: null }],
  ];
  for (const [name, body] of bad) {
    it(`answers 400 for ${name}`, async () => {
      await register(registrationBody());
      assertError(await configure('A1', body), 400);
    });
  }
});

describe('GET /api/v1/master/nodes/statistics', () => {
  it('answers zero nodes (never taken for a node ID)', async () => {
    assert.deepEqual(await call('GET', `${BASE}/nodes/statistics`), { status: 200, body: { total: 0, status_statistics: [] } });
  });
  it('counts one node', async () => {
    await register(registrationBody('a'));
    assert.deepEqual((await call('GET', `${BASE}/nodes/statistics`)).body, { total: 1, status_statistics: [{ status: 'initialized', count: 1 }] });
  });
  it('counts an online and an offline node, ordered by status name', async () => {
    await register(registrationBody('a'));
    await register(registrationBody('b'));
    await report('A1', healthy);
    m.clock.advance(200_000);
    await m.sweeping.heartbeat({ intervalMs: 30_000, publishErrors: [] }); // the sweeper ran meanwhile
    await report('A2', healthy);
    await m.sweeping.sweep();
    assert.deepEqual((await call('GET', `${BASE}/nodes/statistics`)).body, {
      total: 2,
      status_statistics: [{ status: 'offline', count: 1 }, { status: 'online', count: 1 }],
    });
  });
});

describe('unknown routes', () => {
  it('answer 404 with a JSON error', async () => {
    assertError(await call('GET', `${BASE}/nope`), 404, /nope/);
    assertError(await call('GET', '/nope'), 404);
    const root = await m.app.inject({ method: 'GET', url: '/' });
    assert.equal(root.statusCode, 302, '/ leads to the dashboard (SPEC §10)');
    assert.equal(root.headers.location, '/ui/');
  });
});

describe('limits on hostile input', () => {
  const long = 'x'.repeat(257);
  const bad: Array<[string, () => Promise<{ status: number; body: Json }>]> = [
    ['a 257-character name', () => register(registrationBody(long))],
    ['a 257-character version', () => register({ ...registrationBody(), version: long })],
    ['a 257-character id', () => register({ ...registrationBody(), id: long })],
    ['a 257-character meta_data.hostname', () => register(registrationBody('n', { meta_data: { hostname: long } }))],
    ['a 257-character string in an unknown meta_data key', () => register(registrationBody('n', { meta_data: { rack: { row: long } } }))],
    ['meta_data nested 9 levels deep', () => register(registrationBody('n', { meta_data: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } }))],
    ['a 20 KiB meta_data', () => register(registrationBody('n', { meta_data: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'.repeat(200)])) }))],
  ];
  for (const [name, send] of bad) {
    it(`answers 400 for ${name}`, async () => {
      assertError(await send(), 400);
      assert.deepEqual((await call('GET', `${BASE}/nodes`)).body, []);
    });
  }

  it('answers 400 for 65 labels, a 257-character label, a 20 KiB config or health, and a config grown past the limit by merging', async () => {
    await register(registrationBody());
    assertError(await configure('A1', { label: Array.from({ length: 65 }, (_, i) => `l${i}`) }), 400);
    assertError(await configure('A1', { label: [long] }), 400);
    const big = (prefix: string) => Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`${prefix}${i}`, 'v'.repeat(100)]));
    assertError(await configure('A1', { config: { ...big('a'), ...big('b') } }), 400);
    assertError(await report('A1', { timestamp: healthy.timestamp, health: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`c${i}`, { status: 'x'.repeat(100) }])) }), 400);
    assert.equal((await configure('A1', { config: big('a') })).status, 200);
    assertError(await configure('A1', { config: big('b') }), 400, /merged/);
    const node = (await call('GET', `${BASE}/nodes/A1`)).body;
    assert.equal(Object.keys(node.config as object).length, 100, 'the rejected merge changed nothing');
    assert.deepEqual(node.label, []);
  });

  it('answers 413 for a body over the size limit', async () => {
    const res = await m.app.inject({ method: 'POST', url: `${BASE}/nodes`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pad: 'x'.repeat(65 * 1024) }) });
    assert.equal(res.statusCode, 413);
    assert.deepEqual(Object.keys(res.json()), ['error']);
  });

  for (const id of ['statistics', '1', 'A', 'A1;DROP', "A1' OR 1=1", '%00A1', 'A-']) {
    it(`answers 404 for the malformed ID ${JSON.stringify(id)} without a database query`, async () => {
      await m.store.close(); // a query would fail with 503: a 404 proves none was made
      const path = encodeURIComponent(id);
      // GET /nodes/statistics is the statistics route, not a node: it is left out here.
      if (id !== 'statistics') assertError(await call('GET', `${BASE}/nodes/${path}`), 404);
      assertError(await report(path, healthy), 404);
      assertError(await configure(path, { label: [] }), 404);
      assertError(await register({ ...registrationBody(), id }), 404);
    });
  }
});

describe('text and numbers that cannot be stored faithfully (SPEC §7)', () => {
  const raw = (method: 'POST' | 'PUT', url: string, payload: Buffer | string) =>
    m.app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload }).then((res) => ({ status: res.statusCode, body: strictJson(res.rawPayload) as Json }));
  const registerText = (text: string) => raw('POST', `${BASE}/nodes`, text);

  it('answers 400 for a name holding an escaped lone surrogate, and lists nothing', async () => {
    assertError(await registerText('{"name":"sur\\ud800x","type":"agent","version":"1","meta_data":{}}'), 400, /lone surrogate \(U\+D800\)/);
    assert.deepEqual((await call('GET', `${BASE}/nodes`)).body, []);
  });

  it('answers 400 for a body that is not UTF-8 (raw \\xff, CESU-8 surrogate bytes)', async () => {
    for (const bytes of [[0xff], [0xed, 0xa0, 0x80]]) {
      const payload = Buffer.concat([Buffer.from('{"name":"x'), Buffer.from(bytes), Buffer.from('","type":"agent","version":"1","meta_data":{}}')]);
      assertError(await raw('POST', `${BASE}/nodes`, payload), 400, /not valid UTF-8/);
    }
    assert.deepEqual((await call('GET', `${BASE}/nodes`)).body, []);
  });

  it('keeps well-formed non-ASCII text, astral characters included', async () => {
    const res = await register(registrationBody('節點-😀-ü'));
    assert.equal(res.status, 201);
    assert.equal((await call('GET', `${BASE}/nodes`)).body[0]!.name, '節點-😀-ü');
  });

  it('answers 400, not 500, for meta_data nested 10,000 levels deep', async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    assertError(await registerText(`{"name":"n","type":"agent","version":"1","meta_data":${deep}}`), 400, /nested deeper/);
  });

  it('answers 400 for a number out of range anywhere (1e400 is not stored as null)', async () => {
    assertError(await registerText('{"name":"n","type":"agent","version":"1","meta_data":{"rack":1e400}}'), 400, /out of range/);
    await register(registrationBody());
    assertError(await raw('PUT', `${BASE}/nodes/A1/status`, '{"timestamp":"2025-09-24T03:24:59Z","health":{"gpu":{"temp":-1e999}}}'), 400, /out of range/);
  });

  it('answers 400 for a number that cannot be kept exactly anywhere: an integer that would be rounded, a non-zero number that would become 0 (I-JSON)', async () => {
    assertError(await registerText('{"name":"n","type":"agent","version":"1","meta_data":{"serial":12345678901234567890}}'), 400, /12345678901234567890 cannot be kept exactly/);
    assertError(await registerText('{"name":"n","type":"agent","version":"1","meta_data":{"x":{"y":[1e-400]}}}'), 400, /too small to be kept/);
    await register(registrationBody());
    assertError(await raw('PUT', `${BASE}/nodes/A1/status`, '{"timestamp":"2025-09-24T03:24:59Z","health":{"gpu":{"ecc":-9007199254740993}}}'), 400, /cannot be kept exactly/);
    // Kept exactly: accepted as sent.
    const big = await registerText('{"name":"n2","type":"agent","version":"1","meta_data":{"a":1e20,"b":1152921504606846976,"d":"12345678901234567890","e":0.000001,"f":1.5e-300}}');
    assert.equal(big.status, 201, JSON.stringify(big.body));
    assert.deepEqual(big.body.meta_data, { a: 1e20, b: 1152921504606846976, d: '12345678901234567890', e: 0.000001, f: 1.5e-300 });
  });

  it('answers 400 for an object that names a member twice, at any depth (the last would silently win)', async () => {
    assertError(await registerText('{"name":"n","name":"m","type":"agent","version":"1","meta_data":{}}'), 400, /names a member more than once/);
    assertError(await registerText('{"name":"n","type":"agent","version":"1","meta_data":{"ip":"10.0.0.1","x":{"k":1,"k" : 2}}}'), 400, /more than once/);
    // The same name spelled with an escape.
    assertError(await registerText('{"name":"n","type":"agent","version":"1","meta_data":{"\\u0069p":"1.2.3.4","ip":"10.0.0.1"}}'), 400, /more than once/);
    // Quotes, colons and digits inside strings are text, not names or numbers.
    const tricky = await registerText('{"name":"n\\":\\"x","type":"agent","version":"1","meta_data":{"a\\"b":"c\\":12345678901234567890","list":["k","k"],"o":[{"k":1},{"k":2}]}}');
    assert.equal(tricky.status, 201, JSON.stringify(tricky.body));
  });

  it('answers 400 for cpu_number, memory_in_bytes and gpu_number beyond 2^53 - 1 (they would be rounded)', async () => {
    for (const field of ['cpu_number', 'memory_in_bytes', 'gpu_number']) {
      assertError(await registerText(`{"name":"n","type":"agent","version":"1","meta_data":{"${field}":18446744073709551616}}`), 400, new RegExp(field));
    }
    assert.equal((await register(registrationBody('n', { meta_data: { memory_in_bytes: Number.MAX_SAFE_INTEGER } }))).status, 201);
  });

  it('answers 400 for an empty label or a label with a comma (they break the ,a,b, list of discovery)', async () => {
    await register(registrationBody());
    assertError(await configure('A1', { label: ['gpu', ''] }), 400, /label\/1/);
    assertError(await configure('A1', { label: ['a,b'] }), 400, /comma/);
    assert.deepEqual((await call('GET', `${BASE}/nodes/A1`)).body.label, []);
  });

  it('answers 400 for a query string percent-encoding bytes that are not UTF-8', async () => {
    assertError(await call('GET', `${BASE}/sd/prometheus?label=%ED%A0%80`), 400, /UTF-8/);
    assertError(await call('GET', `${BASE}/nodes?x=%FF`), 400, /UTF-8/);
  });
});
