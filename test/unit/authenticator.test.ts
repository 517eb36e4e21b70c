// The authenticator: static tokens by digest, node tokens by their stored hash alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAuthenticator, newNodeToken } from '../../src/auth.js';

const tokens = { enroll: 'enroll-secret-0123456789', admin: 'admin-secret-0123456789', read: null };

describe('authenticator', () => {
  it('looks up only the hash of the node a token names, and no node for a malformed one', async () => {
    const issued = newNodeToken('A7');
    const asked: string[] = [];
    const auth = createAuthenticator(tokens, { tokenHash: async (id) => { asked.push(id); return id === 'A7' ? issued.hash : null; } });
    assert.deepEqual(await auth(`Bearer ${issued.token}`), { kind: 'node', nodeId: 'A7' });
    assert.equal(await auth('Bearer A7.wrong-secret'), null);
    assert.equal(await auth('Bearer A8.whatever'), null);
    assert.equal(await auth("Bearer A1'--.x"), null);
    assert.equal(await auth('Bearer nodot'), null);
    assert.deepEqual(asked, ['A7', 'A7', 'A8'], 'one hash lookup per well-shaped node token, none otherwise');
    assert.deepEqual(await auth(`Bearer ${tokens.admin}`), { kind: 'admin' });
  });
});
