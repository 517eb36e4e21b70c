// GET /api/v1/master/cluster (SPEC §11): this master, its role, the leader's lease and every master's
// last contact, as the database records them (with SQLite: the sole master, always the leader).
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ClusterInfo } from '../../cluster/leadership.js';
import { ErrorJson } from '../schemas.js';

const Lease = Type.Object({ instance: Type.String(), epoch: Type.Integer(), since: Type.String(), lease_expires: Type.String(), live: Type.Boolean() });
/** A master and its last contact with the database. */
export const MasterJson = Type.Object({ instance: Type.String(), host: Type.String(), started: Type.String(), last_seen: Type.String(), seconds_since_contact: Type.Number() });
const ClusterJson = Type.Object({
  instance: Type.String(),
  role: Type.Union([Type.Literal('leader'), Type.Literal('follower')]),
  leader: Type.Union([Lease, Type.Null()]),
  masters: Type.Array(MasterJson),
});

export function clusterRoutes(info: () => Promise<ClusterInfo>) {
  return async function plugin(instance: FastifyInstance): Promise<void> {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/cluster', { config: { access: 'read' }, schema: { response: { 200: ClusterJson, 401: ErrorJson, 403: ErrorJson, 503: ErrorJson } } }, () => info());
  };
}
