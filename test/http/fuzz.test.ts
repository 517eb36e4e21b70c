// Property-based: thousands of random requests (paths, methods, headers, bodies) through app.inject.
// Whatever arrives: no 5xx except the contract's name-mismatch 500, every error is {"error": "..."},
// and a rejected request changes no stored node.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { registrationBody } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { strictJson, strictUtf8 } from '../helpers/strict-json.js';
import { summaries } from '../helpers/fixtures.js';

const BASE = '/api/v1/master';
const tokens = { enroll: 'enroll-secret-0123456789', admin: 'admin-secret-0123456789', read: 'read-secret-0123456789' };

const segment = fc.oneof(
  fc.constantFrom('A1', 'A2', 'A3', 'A999', 'statistics', 'status', 'config', 'token', 'nodes', '', '..', '%00', '%2F', 'A1%20', '{id}'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const path = fc.oneof(
  fc.constantFrom(`${BASE}/nodes`, `${BASE}/nodes/statistics`, `${BASE}/sd/prometheus`, '/metrics', '/healthz', '/readyz'),
  fc.tuple(segment, fc.constantFrom('', '/status', '/config', '/token')).map(([id, tail]) => `${BASE}/nodes/${id}${tail}`),
  fc.array(segment, { maxLength: 5 }).map((s) => `/${s.join('/')}`),
  fc.tuple(fc.constantFrom(`${BASE}/sd/prometheus`, `${BASE}/nodes`), fc.string({ maxLength: 20 })).map(([p, q]) => `${p}?${encodeURIComponent(q)}=${encodeURIComponent(q)}&port=${q}`),
);
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record({
    id: fc.oneof(fc.constant(undefined), fc.constant(null), fc.constantFrom('A1', 'A2', '', 'B7'), fc.jsonValue({ maxDepth: 1 })),
    name: fc.oneof(fc.constantFrom('pod-1', 'pod-2', 'fresh'), fc.string({ maxLength: 300 }), fc.jsonValue({ maxDepth: 1 })),
    type: fc.oneof(fc.constant('agent'), fc.jsonValue({ maxDepth: 1 })),
    version: fc.oneof(fc.constant('1'), fc.jsonValue({ maxDepth: 1 })),
    meta_data: fc.oneof(fc.constant(registrationBody().meta_data), fc.jsonValue({ maxDepth: 3 })),
  }, { requiredKeys: [] }),
  fc.record({ timestamp: fc.oneof(fc.constant('2025-09-24T03:24:59Z'), fc.string()), health: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }),
  fc.record({ config: fc.jsonValue({ maxDepth: 3 }), label: fc.oneof(fc.array(fc.string()), fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] }),
);
const authorization = fc.oneof(fc.constant(undefined), fc.constantFrom(...Object.values(tokens).map((t) => `Bearer ${t}`)), fc.string({ maxLength: 40 }));
const extraHeader = fc.tuple(fc.constantFrom('x-forwarded-for', 'if-none-match', 'accept', 'content-length'), fc.string({ maxLength: 30 }));
/** Anything at all. */
const anyRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  url: path,
  contentType: fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '*/*', 'application/jsonx'),
  body: fc.oneof(jsonBody.map((v) => JSON.stringify(v)), fc.string({ maxLength: 200 }), fc.constant(undefined), fc.constant('{"name":')),
  authorization,
  extraHeader,
});
/** A real route with a JSON body that is often nearly right, so writes (and the mismatch 500) happen too. */
const routeRequest = fc.record({
  route: fc.constantFrom(['POST', `${BASE}/nodes`], ['PUT', `${BASE}/nodes/A1/status`], ['PUT', `${BASE}/nodes/A2/config`], ['POST', `${BASE}/nodes/A3/token`], ['PUT', `${BASE}/nodes/A999/status`]),
  contentType: fc.constant('application/json'),
  body: fc.oneof(
    jsonBody.map((v) => JSON.stringify(v)),
    fc.record({ id: fc.constantFrom(undefined, null, '', 'A1', 'A2', 'A7'), name: fc.constantFrom('pod-1', 'pod-2', 'fresh-1', 'fresh-2') }).map((x) => JSON.stringify({ ...registrationBody(x.name), id: x.id })),
  ),
  authorization: fc.oneof(authorization, fc.constant(`Bearer ${tokens.admin}`)),
  extraHeader,
}).map(({ route, ...rest }) => ({ method: route[0], url: route[1], ...rest }));
const request = fc.oneof({ arbitrary: anyRequest, weight: 1 }, { arbitrary: routeRequest, weight: 1 });

/**
 * Text that is not valid Unicode, as some agent serialisers and broken proxies send it: a lone surrogate
 * escaped in JSON, or raw bytes that are not UTF-8 (CESU-8 surrogates, overlong and truncated sequences,
 * bytes that never occur in UTF-8).
 */
const invalidText = fc.constantFrom(
  { escaped: '\\ud800' }, { escaped: '\\udfff' }, { escaped: '\\ud83d' }, { escaped: 'x\\udc00y' }, { escaped: '\\ude00\\ud83d' },
  { raw: [0xed, 0xa0, 0x80] }, { raw: [0xed, 0xbf, 0xbf] }, { raw: [0xc0, 0xaf] }, { raw: [0xe0, 0x80, 0xaf] },
  { raw: [0xf0, 0x80, 0x80, 0xaf] }, { raw: [0xe2, 0x82] }, { raw: [0xf0, 0x9f, 0x98] }, { raw: [0xff] }, { raw: [0xfe] },
  { raw: [0x80] }, { raw: [0xc0] }, { raw: [0xf8, 0x88, 0x80, 0x80, 0x80] },
);
/** Where in a valid body the bad text goes: every kind of string the API stores. */
const invalidBody = fc.record({
  route: fc.constantFrom(
    { method: 'POST', url: `${BASE}/nodes`, body: (t: string) => `{"name":"pod-${t}","type":"agent","version":"1","meta_data":{}}` },
    { method: 'POST', url: `${BASE}/nodes`, body: (t: string) => `{"id":"A1${t}","name":"pod-1","type":"agent","version":"1","meta_data":{}}` },
    { method: 'POST', url: `${BASE}/nodes`, body: (t: string) => `{"name":"pod-1","type":"agent","version":"1","meta_data":{"hostname":"h${t}"}}` },
    { method: 'POST', url: `${BASE}/nodes`, body: (t: string) => `{"name":"pod-1","type":"agent","version":"1","meta_data":{"rack${t}":1}}` },
    { method: 'POST', url: `${BASE}/nodes`, body: (t: string) => `{"name":"pod-1","type":"agent","version":"1","meta_data":{"a":[{"b":"${t}"}]}}` },
    { method: 'PUT', url: `${BASE}/nodes/A1/status`, body: (t: string) => `{"timestamp":"2025-09-24T03:24:59Z","health":{"x":{"status":"${t}"}}}` },
    { method: 'PUT', url: `${BASE}/nodes/A1/status`, body: (t: string) => `{"timestamp":"2025-09-24T03:24:59Z","health":{"x${t}":{}}}` },
    { method: 'PUT', url: `${BASE}/nodes/A2/config`, body: (t: string) => `{"config":{"k":"${t}"}}` },
    { method: 'PUT', url: `${BASE}/nodes/A2/config`, body: (t: string) => `{"label":["gpu","${t}"]}` },
  ),
  text: invalidText,
});
/** A query string percent-encoding bytes that are not UTF-8. */
const invalidQuery = fc.tuple(
  fc.constantFrom(`${BASE}/sd/prometheus?label=`, `${BASE}/sd/prometheus?port=9100&label=a`, `${BASE}/nodes?x=`),
  fc.constantFrom('%ED%A0%80', '%FF', '%E2%82', '%C0%AF', '%80', 'a%ED%B0%80b'),
).map(([p, q]) => p + q);

async function snapshot(m: TestMaster): Promise<string> {
  const list = await summaries(m.store);
  const nodes = await Promise.all(list.map((n) => m.store.get(n.id)));
  return JSON.stringify(nodes);
}

for (const mode of ['disabled', 'token'] as const) {
  describe(`random requests (AUTH_MODE=${mode})`, () => {
    let m: TestMaster;
    beforeEach(async () => {
      m = await makeTestMaster(mode === 'token' ? { tokens } : {});
      for (const name of ['pod-1', 'pod-2', 'pod-3']) {
        const res = await m.app.inject({ method: 'POST', url: `${BASE}/nodes`, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` }, payload: JSON.stringify(registrationBody(name)) });
        assert.equal(res.statusCode, 201);
      }
    });
    afterEach(async () => { await m.close(); });

    it('never answer 5xx (but the name mismatch), always JSON errors, and rejected requests change nothing', async () => {
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const before = await snapshot(m);
          const headers: Record<string, string> = {};
          if (r.contentType) headers['content-type'] = r.contentType;
          if (r.authorization !== undefined) headers.authorization = r.authorization;
          if (r.extraHeader[0] !== 'content-length') headers[r.extraHeader[0]] = r.extraHeader[1];
          const res = await m.app.inject({ method: r.method as 'GET', url: r.url, headers, payload: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body });
          const context = `${r.method} ${r.url} → ${res.statusCode} ${res.payload.slice(0, 200)}`;
          if (r.method !== 'HEAD' && res.rawPayload.length > 0) {
            const type = String(res.headers['content-type']);
            if (type.startsWith('application/json')) strictJson(res.rawPayload, context);
            else strictUtf8(res.rawPayload);
          }
          if (res.statusCode >= 500) {
            assert.equal(res.statusCode, 500, context);
            assert.match(res.json().error, /is registered with name/, context);
          }
          if (res.statusCode >= 400 && r.method !== 'HEAD') {
            const body = res.json();
            assert.deepEqual(Object.keys(body), ['error'], context);
            assert.equal(typeof body.error, 'string', context);
          }
          if (res.statusCode >= 400) assert.equal(await snapshot(m), before, `rejected but changed: ${context}`);
        }),
        { numRuns: 2500, seed: Number(process.env.FUZZ_SEED ?? 20261127) },
      );
    });

    it('answer 400 to a body holding text that is not valid Unicode, and store nothing of it', async () => {
      await fc.assert(
        fc.asyncProperty(invalidBody, async ({ route, text }) => {
          const before = await snapshot(m);
          const inner = text.escaped !== undefined ? Buffer.from(text.escaped) : Buffer.from(text.raw);
          const [head, tail] = route.body('\u0000').split('\u0000') as [string, string];
          const payload = Buffer.concat([Buffer.from(head), inner, Buffer.from(tail)]);
          const res = await m.app.inject({ method: route.method as 'POST', url: route.url, headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` }, payload });
          const context = `${route.method} ${route.url} ${payload.toString('latin1')} → ${res.statusCode} ${res.payload}`;
          assert.equal(res.statusCode, 400, context);
          assert.match(strictJson(res.rawPayload).error, /UTF-8|surrogate/, context);
          assert.equal(await snapshot(m), before, context);
        }),
        { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 20261201) },
      );
    });

    it('answer 400 to a query string that percent-encodes bytes that are not UTF-8', async () => {
      await fc.assert(
        fc.asyncProperty(invalidQuery, async (url) => {
          const res = await m.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens.admin}` } });
          assert.equal(res.statusCode, 400, `${url} → ${res.statusCode} ${res.payload}`);
          assert.match(strictJson(res.rawPayload).error, /UTF-8/);
        }),
        { numRuns: 60, seed: Number(process.env.FUZZ_SEED ?? 20261201) },
      );
    });
  });
}
