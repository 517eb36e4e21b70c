// GET /api/v1/master/openapi.json (SPEC §9.6): an OpenAPI 3.1 document of every endpoint, generated from
// the route schemas, accepted by a standard validator.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { makeTestMaster, type TestMaster } from '../helpers/app.js';
import { strictJson } from '../helpers/strict-json.js';

let m: TestMaster;
afterEach(async () => { await m.close(); });

describe('GET /api/v1/master/openapi.json', () => {
  for (const mode of ['disabled', 'token'] as const) {
    it(`is a valid OpenAPI 3.1 document listing every endpoint (AUTH_MODE=${mode})`, async () => {
      m = await makeTestMaster(mode === 'token' ? { tokens: { enroll: 'enroll-secret-0123456789', admin: 'admin-secret-0123456789', read: null } } : {});
      const res = await m.app.inject({ method: 'GET', url: '/api/v1/master/openapi.json' });
      assert.equal(res.statusCode, 200);
      const doc = strictJson(res.rawPayload);
      assert.equal(doc.openapi, '3.1.0');
      const result = await new Validator().validate(doc);
      assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2)?.slice(0, 2000));
      const paths = Object.keys(doc.paths);
      for (const p of ['/healthz', '/readyz', '/metrics', '/api/v1/master/nodes', '/api/v1/master/nodes/{id}', '/api/v1/master/nodes/{id}/status',
        '/api/v1/master/nodes/{id}/config', '/api/v1/master/nodes/statistics', '/api/v1/master/sd/prometheus', '/api/v1/master/events',
        '/api/v1/master/events/stream', '/api/v1/master/nodes/{id}/events', '/api/v1/master/brake', '/api/v1/master/brake/release']) {
        assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
      }
      assert.ok(doc.paths['/api/v1/master/nodes/{id}'].delete, 'DELETE /nodes/{id}');
      assert.ok(doc.paths['/api/v1/master/nodes'].post.requestBody, 'the registration body schema');
      if (mode === 'token') assert.ok(paths.includes('/api/v1/master/nodes/{id}/token'));
    });
  }
});
