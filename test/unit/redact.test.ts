import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from '../../src/edge/server.js';

describe('request log redaction', () => {
  it('hides the value of credential-like query parameters and keeps the rest', () => {
    assert.equal(redactUrl('/api/v1/master/nodes'), '/api/v1/master/nodes');
    assert.equal(redactUrl('/x?token=abc&port=9100&access_token=def&api%5Fkey=g&Password=h'), '/x?token=[redacted]&port=9100&access_token=[redacted]&api%5Fkey=[redacted]&Password=[redacted]');
    assert.equal(redactUrl('/x?label=gpu&token'), '/x?label=gpu&token');
  });

  it('hides bearer, sig, signature, jwt, session, pwd, credential and the sign-in page\'s next (it may carry any of them)', () => {
    for (const name of ['bearer', 'sig', 'x-sig', 'signature', 'jwt', 'session_id', 'pwd', 'credentials', 'next']) {
      assert.equal(redactUrl(`/x?${name}=s3cr3t&port=9100`), `/x?${name}=[redacted]&port=9100`, name);
    }
    for (const name of ['design', 'assignee', 'nextPage']) assert.equal(redactUrl(`/x?${name}=v`), `/x?${name}=v`, `${name} is not a credential`);
  });
});
