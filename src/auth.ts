// Token authentication (AUTH_MODE=token). Who a bearer token is: the admin, the enrollment secret, the
// read-only token, or one node (node tokens are `<node id>.<secret>`, stored only as SHA-256 hashes).
// Every comparison is on fixed-length digests with crypto.timingSafeEqual, so timing reveals nothing
// about how much of a token matched.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isNodeIdShape } from './domain/node.js';
import { AppError } from './errors.js';
import type { NodeStore } from './storage/store.js';

/** Who made a request. */
export type Principal = { kind: 'admin' } | { kind: 'enroll' } | { kind: 'read' } | { kind: 'node'; nodeId: string };

/** The static tokens of token mode (read is optional). */
export interface AuthTokens {
  enroll: string;
  admin: string;
  read: string | null;
}

/** SHA-256 of a token, hex (what is stored for node tokens). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time equality of two hex digests of equal length. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A new node token for `nodeId` and the hash to store. */
export function newNodeToken(nodeId: string, secret = randomBytes(32).toString('base64url')): { token: string; hash: string } {
  const token = `${nodeId}.${secret}`;
  return { token, hash: hashToken(token) };
}

/** The node id a node token names, or null when it is not shaped like one. */
export function nodeIdOfToken(token: string): string | null {
  const dot = token.indexOf('.');
  return dot > 0 ? token.slice(0, dot) : null;
}

/** Resolves bearer tokens to principals; null for a missing or invalid token. */
export function createAuthenticator(tokens: AuthTokens, store: Pick<NodeStore, 'tokenHash'>) {
  const statics: Array<[string, Principal]> = [
    [hashToken(tokens.admin), { kind: 'admin' }],
    [hashToken(tokens.enroll), { kind: 'enroll' }],
  ];
  if (tokens.read) statics.push([hashToken(tokens.read), { kind: 'read' }]);

  return async function authenticate(authorization: string | undefined): Promise<Principal | null> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return null;
    const token = m[1]!;
    const digest = hashToken(token);
    let found: Principal | null = null;
    for (const [hash, principal] of statics) {
      if (sameDigest(digest, hash)) found = principal; // no early exit: every comparison is made
    }
    if (found) return found;
    const nodeId = nodeIdOfToken(token);
    if (!nodeId || !isNodeIdShape(nodeId)) return null;
    let stored: string | null = null;
    try {
      // Only the hash is read: an unknown token costs one index lookup, whether or not the node exists.
      stored = await store.tokenHash(nodeId);
    } catch (err) {
      // The database is down: 503, not "invalid token" (an agent told its token is bad may give up).
      if (err instanceof AppError && err.code === 'UNAVAILABLE') throw err;
      return null; // a malformed id: not authenticated
    }
    return stored !== null && sameDigest(digest, stored) ? { kind: 'node', nodeId } : null;
  };
}
