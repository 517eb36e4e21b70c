// The mass-offline brake, explained (SPEC §9.4): GET /brake (its state, from the sweeping process) and
// POST /brake/release (admin: the held transitions go through at the next sweep).
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Nodes } from '../../nodes/index.js';
import { ErrorJson } from '../schemas.js';

const NullableString = Type.Union([Type.String(), Type.Null()]);
const BrakeJson = Type.Object({
  state: Type.Union([Type.Literal('released'), Type.Literal('holding')]),
  held: Type.Integer({ minimum: 0 }),
  since: NullableString,
  releases_at: NullableString,
});

/** Registers the brake routes under the base path. */
export function brakeRoutes(nodes: Pick<Nodes, 'brake' | 'releaseBrake'>) {
  return async function plugin(instance: FastifyInstance): Promise<void> {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/brake', { config: { access: 'read' }, schema: { response: { 200: BrakeJson } } }, () => nodes.brake());
    app.post(
      '/brake/release',
      { config: { access: 'admin' }, schema: { response: { 202: BrakeJson, 401: ErrorJson, 403: ErrorJson } } },
      async (_request, reply) => reply.code(202).send(await nodes.releaseBrake()),
    );
  };
}
