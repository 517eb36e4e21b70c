// The dashboard's sign-in sessions (AUTH_MODE=token). Guarantees: the browser's cookie holds a random
// session id, never a token; the database keeps only the id's SHA-256, the kind (admin or read) and the
// digest of the token it was opened with; a session ends at sign-out (for every process and master at
// once: they all read it from the database), SESSION_TTL_MS after it was opened, or as soon as its token
// is no longer the master's (the admin changed ADMIN_TOKEN or READ_TOKEN and restarted). Expired ones
// are pruned by the sweeping process.
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';
import { hashToken, sameDigest, type AuthTokens } from './auth.js';
import type { NodeStore } from './storage/store.js';

/** How long a session lasts (12 h: a working day, then sign in again). */
export const SESSION_TTL_MS = 12 * 3_600_000;
/** The prefix of the sessions' keys in the operational state. */
export const SESSION_PREFIX = 'session:';

/** Who a session is. */
export type SessionKind = 'admin' | 'read';

/** The sessions of the dashboard. */
export interface Sessions {
  /** Opens a session for a dashboard token (admin or read); null for any other token. */
  open(token: string): Promise<{ id: string; kind: SessionKind } | null>;
  /** The kind of a live session, or null (unknown, expired, or its token no longer the master's). */
  resolve(id: string): Promise<SessionKind | null>;
  /** Ends a session (sign-out). */
  close(id: string): Promise<void>;
}

interface Stored {
  kind: SessionKind;
  tokenDigest: string;
  expiresMs: number;
}

const keyOf = (id: string) => `${SESSION_PREFIX}${hashToken(id)}`;
/** A session id as the cookie carries it: 43 characters of base64url. */
const ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Sessions over the store's operational state, for the master's static tokens. */
export function createSessions(store: Pick<NodeStore, 'getState' | 'putState' | 'deleteState'>, tokens: AuthTokens, clock: Clock): Sessions {
  const digests: { admin: string; read: string | null } = { admin: hashToken(tokens.admin), read: tokens.read ? hashToken(tokens.read) : null };
  // Both compared every time, in constant time (as the authenticator does).
  const kindOf = (digest: string): SessionKind | null => {
    const admin = sameDigest(digest, digests.admin);
    const read = digests.read !== null && sameDigest(digest, digests.read);
    return admin ? 'admin' : read ? 'read' : null;
  };
  return {
    async open(token) {
      const tokenDigest = hashToken(token);
      const kind = kindOf(tokenDigest);
      if (kind === null) return null;
      const id = randomBytes(32).toString('base64url');
      const stored: Stored = { kind, tokenDigest, expiresMs: clock.now() + SESSION_TTL_MS };
      await store.putState(keyOf(id), JSON.stringify(stored));
      return { id, kind };
    },
    async resolve(id) {
      if (!ID_SHAPE.test(id)) return null;
      const raw = await store.getState(keyOf(id));
      if (raw === null) return null;
      const s = JSON.parse(raw) as Stored;
      if (s.expiresMs <= clock.now()) return null;
      return kindOf(s.tokenDigest) === s.kind ? s.kind : null;
    },
    async close(id) {
      if (ID_SHAPE.test(id)) await store.deleteState(keyOf(id));
    },
  };
}
