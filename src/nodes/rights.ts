// Who may do what (AUTH_MODE=token): the one table of rights. The HTTP edge reads it for every route
// (each declares its access), and a registration — whose right depends on the node it would update,
// found inside its transaction — reads it through `registrationRight`. With auth disabled nobody asks.
import type { Principal } from '../auth.js';
import type { NodeRecord } from '../domain/node.js';
import { forbidden } from '../errors.js';

/** What a route requires. */
export type Access = 'open' | 'read' | 'node-read' | 'node-write' | 'register' | 'admin';

/** The table: whether a principal has a right, for the node a request names (if any). */
const RIGHTS: Record<Exclude<Access, 'open'>, (p: Principal, nodeId: string | undefined) => boolean> = {
  read: (p) => p.kind === 'admin' || p.kind === 'read',
  'node-read': (p, id) => p.kind === 'admin' || p.kind === 'read' || (p.kind === 'node' && p.nodeId === id),
  'node-write': (p, id) => p.kind === 'admin' || (p.kind === 'node' && p.nodeId === id),
  register: (p) => p.kind !== 'read',
  admin: (p) => p.kind === 'admin',
};

/** Whether `principal` may do what `access` requires, for node `nodeId`. */
export function may(access: Exclude<Access, 'open'>, principal: Principal, nodeId: string | undefined): boolean {
  return RIGHTS[access](principal, nodeId);
}

/**
 * A registration's right. `up front`: what can be refused from the request alone (a node token naming
 * another ID). `guard`: against the node it would update (null: it would create one), run inside the
 * registration's transaction before the name is compared, so that a caller without the right learns
 * nothing of the node. The enrollment token only creates; a node token only re-registers its own node;
 * the admin does both; the read token neither.
 */
export function registrationRight(principal: Principal): { upFront: (id: string | null) => void; guard: (existing: NodeRecord | null) => void } {
  return {
    upFront: (id) => {
      if (principal.kind === 'node' && id !== null && id !== principal.nodeId) {
        throw forbidden(`this token belongs to node ${principal.nodeId}; it may not re-register ${id}`);
      }
    },
    guard: (existing) => {
      if (principal.kind === 'admin') return;
      if (principal.kind === 'enroll' && existing) {
        throw forbidden(
          `node ${existing.id} is already registered and the enrollment token cannot take it over; ` +
            `re-register with the node's own token, or have an admin issue a new one: POST /api/v1/master/nodes/${existing.id}/token`,
        );
      }
      if (principal.kind === 'node' && existing?.id !== principal.nodeId) {
        throw forbidden(`this token belongs to node ${principal.nodeId}; register other machines with the enrollment token`);
      }
      if (principal.kind === 'read') throw forbidden('the read token cannot register nodes');
    },
  };
}
