// Requests from browsers (with an Origin header) through app.inject: a foreign page changes nothing and
// reads nothing through a name of its own (DNS rebinding); agents and curl (no Origin) pass under any name.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { hostname } from 'node:os';
import { isOwnHost } from '../../src/edge/origin.js';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';

const BASE = '/api/v1/master';

describe('requests from browsers (auth disabled)', () => {
  let m: TestMaster | undefined;
  afterEach(async () => {
    await m?.close();
    m = undefined;
  });
  const call = (method: 'GET' | 'POST', url: string, headers: Record<string, string>) => m!.app.inject({ method, url, headers });

  it('refuses a state-changing request whose Origin is another site (a cross-site no-cors POST /brake/release)', async () => {
    m = await makeTestMaster();
    const refused = await call('POST', `${BASE}/brake/release`, { host: 'localhost:3000', origin: 'http://evil.example' });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.json().error, /cross-origin request refused/);
    assert.equal((await call('POST', `${BASE}/brake/release`, { host: 'localhost:3000', origin: 'null' })).statusCode, 403, 'an opaque origin');
    assert.equal((await call('POST', `${BASE}/brake/release`, { host: 'localhost:3000', origin: 'http://localhost:3000' })).statusCode, 202, 'this origin');
    assert.equal((await call('POST', `${BASE}/brake/release`, { host: 'localhost:3000' })).statusCode, 202, 'no Origin: curl, agents');
  });

  it('refuses a browser request sent to a name that is not this master\'s (DNS rebinding), reads included', async () => {
    m = await makeTestMaster();
    const rebound = await call('GET', `${BASE}/nodes`, { host: 'evil.example:3000', origin: 'http://evil.example:3000' });
    assert.equal(rebound.statusCode, 403);
    assert.match(rebound.json().error, /must be sent to a name of this master, not "evil\.example:3000" \(add it to ALLOWED_HOSTS\)/);
    assert.equal((await call('POST', `${BASE}/brake/release`, { host: 'evil.example:3000', origin: 'http://evil.example:3000' })).statusCode, 403);
    assert.equal((await call('GET', '/ui/', { host: 'evil.example:3000', origin: 'http://evil.example:3000' })).statusCode, 403, 'the dashboard too');
    assert.equal((await call('GET', `${BASE}/nodes`, { host: 'evil.example:3000' })).statusCode, 200, 'no Origin: any name (agents, curl)');
    for (const host of ['10.1.2.3:3000', '[::1]:3000', 'localhost:3000', `${hostname()}:3000`]) {
      assert.equal((await call('GET', `${BASE}/nodes`, { host, origin: `http://${host}` })).statusCode, 200, host);
    }
  });

  it('lets a browser reach the master by a name listed in ALLOWED_HOSTS (a name, or .domain for every name under it)', async () => {
    m = await makeTestMaster({ allowedHosts: ['argus.example.com', '.fleet.internal'] });
    for (const host of ['argus.example.com', 'Argus.Example.com:8443', 'a.fleet.internal', 'fleet.internal']) {
      assert.equal((await call('POST', `${BASE}/brake/release`, { host, origin: `https://${host}` })).statusCode, 202, host);
    }
    assert.equal((await call('GET', `${BASE}/nodes`, { host: 'other.example.com', origin: 'https://other.example.com' })).statusCode, 403);
  });

  it('names of this master', () => {
    assert.equal(isOwnHost('127.0.0.1:80', []), true);
    assert.equal(isOwnHost('x.localhost', []), true);
    assert.equal(isOwnHost(undefined, []), false);
    assert.equal(isOwnHost('evilfleet.internal', ['.fleet.internal']), false);
  });
});
