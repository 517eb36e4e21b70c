// AUTH_MODE=token through app.inject: who may do what, 401 vs 403, tokens shown once, rotation.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { registrationBody } from '../helpers/fixtures.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { AppError } from '../../src/errors.js';

const BASE = '/api/v1/master';
const tokens = { enroll: 'enroll-secret-0123456789', admin: 'admin-secret-0123456789', read: 'read-secret-0123456789' };
const healthy = { timestamp: '2025-09-24T03:24:59Z', health: { a: { status: 'healthy' } } };

let m: TestMaster;
beforeEach(async () => { m = await makeTestMaster({ tokens }); });
afterEach(async () => { await m.close(); });

async function call(method: 'GET' | 'POST' | 'PUT', url: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await m.app.inject({ method, url, headers, payload: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, body: res.statusCode === 304 ? null : String(res.headers['content-type'] ?? '').startsWith('application/json') ? res.json() : res.payload, headers: res.headers };
}

/** Registers a node with the enrollment token; returns its id and token. */
async function enroll(name = 'pod-0') {
  const res = await call('POST', `${BASE}/nodes`, tokens.enroll, registrationBody(name));
  assert.equal(res.status, 201);
  return { id: res.body.id as string, token: res.body.token as string };
}

describe('AUTH_MODE=token', () => {
  it('keeps /healthz and /readyz open', async () => {
    for (const p of ['/healthz', '/readyz', `${BASE}/healthz`, `${BASE}/readyz`]) assert.equal((await call('GET', p, null)).status, 200, p);
  });

  it('shows /readyz warnings without file paths to an unauthenticated caller, with them to a token holder', async () => {
    await m.sweeping.heartbeat({ intervalMs: 30_000, publishErrors: [{ file: 'nodes.json', error: "ENOTDIR: not a directory, open '/srv/secret/place/nodes.json'" }] });
    assert.deepEqual((await call('GET', '/readyz', null)).body, { status: 'ready', warnings: ['nodes.json cannot be written'] });
    assert.deepEqual((await call('GET', '/readyz', 'not-a-valid-token')).body, { status: 'ready', warnings: ['nodes.json cannot be written'] });
    for (const token of [tokens.read, tokens.admin]) {
      assert.match((await call('GET', '/readyz', token)).body.warnings[0], /\/srv\/secret\/place/);
    }
  });

  it('answers 401 without a token, with a malformed header, or with an unknown token, before reading the body', async () => {
    for (const token of [null, 'wrong-token-0123456789', '', 'A1.forged-secret']) {
      const res = await call('GET', `${BASE}/nodes`, token);
      assert.equal(res.status, 401, String(token));
      assert.deepEqual(Object.keys(res.body), ['error']);
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    }
    const res = await m.app.inject({ method: 'POST', url: `${BASE}/nodes`, headers: { authorization: 'Basic abc', 'content-type': 'text/plain' }, payload: 'junk' });
    assert.equal(res.statusCode, 401, 'no 415 leaks before authentication');
    assert.equal((await call('GET', '/metrics', null)).status, 401);
    assert.equal((await call('GET', `${BASE}/sd/prometheus`, null)).status, 401);
    assert.equal((await call('GET', `${BASE}/nope`, null)).status, 401);
  });

  it('registers with the enrollment token: 201 with the node token, shown only once and stored hashed', async () => {
    const { id, token } = await enroll();
    assert.match(token, new RegExp(`^${id}\\.[A-Za-z0-9_-]{43}$`));
    const detail = await call('GET', `${BASE}/nodes/${id}`, token);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.token, undefined, 'never shown again');
    const stored = await m.store.get(id);
    assert.notEqual(stored!.tokenHash, token);
    assert.match(stored!.tokenHash!, /^[0-9a-f]{64}$/);
  });

  it('lets a node report, re-register and read itself with its own token, and nothing else', async () => {
    const a = await enroll('pod-a');
    const b = await enroll('pod-b');
    assert.equal((await call('PUT', `${BASE}/nodes/${a.id}/status`, a.token, healthy)).status, 200);
    const again = await call('POST', `${BASE}/nodes`, a.token, { ...registrationBody('pod-a'), id: a.id, version: '2' });
    assert.equal(again.status, 200);
    assert.equal(again.body.token, undefined);
    assert.equal((await call('POST', `${BASE}/nodes`, a.token, registrationBody('pod-a'))).status, 200, 'by name, too');
    assert.equal((await call('PUT', `${BASE}/nodes/${b.id}/status`, a.token, healthy)).status, 403);
    assert.equal((await call('GET', `${BASE}/nodes/${b.id}`, a.token)).status, 403);
    assert.equal((await call('POST', `${BASE}/nodes`, a.token, { ...registrationBody('pod-b'), id: b.id })).status, 403);
    assert.equal((await call('POST', `${BASE}/nodes`, a.token, registrationBody('pod-new'))).status, 403, 'no new nodes with a node token');
    assert.equal((await call('GET', `${BASE}/nodes`, a.token)).status, 403);
    assert.equal((await call('PUT', `${BASE}/nodes/${a.id}/config`, a.token, { label: ['x'] })).status, 403);
    assert.equal((await m.store.get(b.id))!.status, 'initialized', 'the refused report changed nothing');
  });

  it('does not let the enrollment token take over an existing node, and says how to recover', async () => {
    const a = await enroll('pod-a');
    for (const body of [registrationBody('pod-a'), { ...registrationBody('pod-a'), id: a.id }]) {
      const res = await call('POST', `${BASE}/nodes`, tokens.enroll, body);
      assert.equal(res.status, 403);
      assert.match(res.body.error, new RegExp(`POST /api/v1/master/nodes/${a.id}/token`));
    }
    assert.equal((await call('PUT', `${BASE}/nodes/${a.id}/status`, tokens.enroll, healthy)).status, 403);
    assert.equal((await call('GET', `${BASE}/nodes`, tokens.enroll)).status, 403);
  });

  it('keeps the contract errors: 404 for an unknown id, 500 for a name mismatch', async () => {
    const a = await enroll('pod-a');
    assert.equal((await call('POST', `${BASE}/nodes`, tokens.enroll, { ...registrationBody('pod-x'), id: 'A99' })).status, 404);
    assert.equal((await call('POST', `${BASE}/nodes`, a.token, { ...registrationBody('other'), id: a.id })).status, 500);
    assert.equal((await call('POST', `${BASE}/nodes`, tokens.admin, { ...registrationBody('other'), id: a.id })).status, 500);
  });

  it('answers 403, not the name-revealing 500, to a token without the right to the node it names', async () => {
    const a = await enroll('pod-a');
    const b = await enroll('pod-b');
    for (const token of [a.token, tokens.enroll, tokens.read]) {
      const res = await call('POST', `${BASE}/nodes`, token, { ...registrationBody('x'), id: b.id });
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.doesNotMatch(res.body.error, /pod-b/, 'the stored name is not revealed');
    }
  });

  it('lets the read token read and discover, and nothing else', async () => {
    const a = await enroll();
    for (const p of [`${BASE}/nodes`, `${BASE}/nodes/${a.id}`, `${BASE}/nodes/statistics`, `${BASE}/sd/prometheus`, '/metrics']) {
      assert.equal((await call('GET', p, tokens.read)).status, 200, p);
    }
    assert.equal((await call('POST', `${BASE}/nodes`, tokens.read, registrationBody('x'))).status, 403);
    assert.equal((await call('PUT', `${BASE}/nodes/${a.id}/status`, tokens.read, healthy)).status, 403);
    assert.equal((await call('PUT', `${BASE}/nodes/${a.id}/config`, tokens.read, { label: [] })).status, 403);
  });

  it('lets the admin do everything, including rotating a node token', async () => {
    const a = await enroll();
    assert.equal((await call('PUT', `${BASE}/nodes/${a.id}/config`, tokens.admin, { label: ['gpu'] })).status, 200);
    assert.equal((await call('PUT', `${BASE}/nodes/${a.id}/status`, tokens.admin, healthy)).status, 200);
    const created = await call('POST', `${BASE}/nodes`, tokens.admin, registrationBody('by-admin'));
    assert.equal(created.status, 201);
    assert.ok(created.body.token);
    assert.equal((await call('POST', `${BASE}/nodes`, tokens.admin, registrationBody('by-admin'))).status, 200);
    const rotated = await call('POST', `${BASE}/nodes/${a.id}/token`, tokens.admin);
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.id, a.id);
    assert.notEqual(rotated.body.token, a.token);
    assert.equal((await call('PUT', `${BASE}/nodes/${a.id}/status`, a.token, healthy)).status, 401, 'the old token is dead');
    assert.equal((await call('PUT', `${BASE}/nodes/${a.id}/status`, rotated.body.token, healthy)).status, 200);
    assert.equal((await call('POST', `${BASE}/nodes/${a.id}/token`, a.token)).status, 401);
    assert.equal((await call('POST', `${BASE}/nodes/${a.id}/token`, rotated.body.token)).status, 403, 'a node cannot rotate its own token');
    assert.equal((await call('POST', `${BASE}/nodes/A99/token`, tokens.admin)).status, 404);
  });
});

describe('AUTH_MODE=disabled', () => {
  it('has no token route and needs no token', async () => {
    const plain = await makeTestMaster();
    try {
      const res = await plain.app.inject({ method: 'POST', url: `${BASE}/nodes`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(registrationBody()) });
      assert.equal(res.statusCode, 201);
      assert.equal(res.json().token, undefined);
      assert.equal((await plain.app.inject({ method: 'POST', url: `${BASE}/nodes/A1/token` })).statusCode, 404);
    } finally {
      await plain.close();
    }
  });
});

describe('AUTH_MODE=token with the database unavailable', () => {
  it('answers a node token 503 (storage unavailable), not 401 "invalid token": an agent told its token is bad may give up', async () => {
    const { id, token } = await enroll();
    m.store.tokenHash = async () => { throw new AppError('UNAVAILABLE', 'storage unavailable: ECONNREFUSED'); };
    const res = await call('PUT', `${BASE}/nodes/${id}/status`, token, healthy);
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.deepEqual(res.body, { error: 'storage unavailable: ECONNREFUSED' });
    assert.equal((await call('PUT', `${BASE}/nodes/${id}/status`, 'A1.not-a-valid-secret', healthy)).status, 503, 'any node token: the store cannot tell');
    assert.equal((await call('PUT', `${BASE}/nodes/${id}/status`, 'not-a-node-token', healthy)).status, 401, 'not shaped like one: 401 without the store');
  });
});

