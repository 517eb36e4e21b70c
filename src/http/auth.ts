// Authentication and authorisation at the HTTP edge (AUTH_MODE=token only; with auth disabled nothing
// here is installed and the API behaves exactly like the original). Every route declares its `access`;
// a request without a valid bearer token is answered 401 before its body is read, one whose token lacks
// the right 403. /healthz and /readyz stay open.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Principal } from '../auth.js';
import { AppError, forbidden } from '../errors.js';

/** What a route requires. */
export type Access = 'open' | 'read' | 'node-read' | 'node-write' | 'register' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Who made the request (token mode); null with auth disabled. */
    principal: Principal | null;
  }
}

const may: Record<Exclude<Access, 'open'>, (p: Principal, nodeId: string | undefined) => boolean> = {
  read: (p) => p.kind === 'admin' || p.kind === 'read',
  'node-read': (p, id) => p.kind === 'admin' || p.kind === 'read' || (p.kind === 'node' && p.nodeId === id),
  'node-write': (p, id) => p.kind === 'admin' || (p.kind === 'node' && p.nodeId === id),
  register: (p) => p.kind !== 'read',
  admin: (p) => p.kind === 'admin',
};

/**
 * The token checks, as a plugin whose hook covers every route of the app (fastify-plugin lifts it out of
 * its encapsulation context); `authenticate` resolves an Authorization header to a principal.
 */
export const authPlugin = fp(async function auth(app: FastifyInstance, options: { authenticate: (authorization: string | undefined) => Promise<Principal | null> }) {
  const { authenticate } = options;
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const access = request.routeOptions.config?.access;
    if (access === 'open') {
      // Open to all; a caller who sends a valid token may see more (e.g. /readyz's details).
      if (request.headers.authorization) request.principal = await authenticate(request.headers.authorization);
      return;
    }
    request.principal = await authenticate(request.headers.authorization);
    if (!request.principal) throw new AppError('UNAUTHORIZED', 'missing or invalid bearer token (Authorization: Bearer <token>)');
    if (access === undefined) return; // an unknown route: answered 404 once authenticated
    const nodeId = (request.params as { id?: string } | undefined)?.id;
    if (!may[access](request.principal, nodeId)) {
      throw forbidden(`a ${request.principal.kind} token may not ${request.method} ${request.routeOptions.url}${nodeId ? ` for node ${nodeId}` : ''}`);
    }
  });
}, { name: 'argus-auth' });
