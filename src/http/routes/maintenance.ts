// Maintenance windows (SPEC §13): POST /maintenance (admin), GET /maintenance (?state=), GET, PATCH and
// DELETE /maintenance/{id}. The use cases are maintenance/windows.ts's; here the HTTP shapes.
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import { SELECTOR_LIMITS } from '../../domain/selector.js';
import { WINDOW_LIMITS, type Maintenance, type ShownWindow } from '../../maintenance/windows.js';
import { renderWindow } from '../render.js';
import { ErrorJson, WindowJson } from '../schemas.js';

const Time = Type.String({ maxLength: 64 });
const WindowBody = Type.Object({
  selector: Type.Optional(Type.String({ maxLength: SELECTOR_LIMITS.maxBytes })),
  nodes: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: WINDOW_LIMITS.maxNodes })),
  reason: Type.String({ maxLength: WINDOW_LIMITS.maxReason }),
  starts_at: Type.Optional(Time),
  ends_at: Type.Optional(Time),
  duration_seconds: Type.Optional(Type.Number()),
  /** Who makes it, when auth is disabled (in token mode it is the token's kind). */
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
}, { additionalProperties: false });
const PatchBody = Type.Object({
  reason: Type.Optional(Type.String({ maxLength: WINDOW_LIMITS.maxReason })),
  ends_at: Type.Optional(Time),
}, { additionalProperties: false });
const StateQuery = Type.Object({ state: Type.Optional(Type.Union([Type.Literal('scheduled'), Type.Literal('active'), Type.Literal('ended')])) });
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const errors = { 400: ErrorJson, 401: ErrorJson, 403: ErrorJson, 404: ErrorJson, 409: ErrorJson };

/** Who makes a window: the token's kind in token mode, else the body's `actor` (or "anonymous"). */
function actorOf(request: FastifyRequest, given: string | undefined): string {
  if (request.principal) return request.principal.kind;
  return given?.trim() || 'anonymous';
}

/** Registers the maintenance routes under the base path. */
export function maintenanceRoutes(maintenance: Maintenance, clock: Clock) {
  const json = (s: ShownWindow) => renderWindow(s.window, clock.now(), s.matched);
  return async function plugin(instance: FastifyInstance): Promise<void> {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.post(
      '/maintenance',
      { config: { access: 'admin' }, schema: { body: WindowBody, response: { 201: WindowJson, ...errors } } },
      async (request, reply) => {
        const { actor, ...window } = request.body;
        return reply.code(201).send(json(await maintenance.create(window, actorOf(request, actor))));
      },
    );
    app.get(
      '/maintenance',
      { config: { access: 'read' }, schema: { querystring: StateQuery, response: { 200: Type.Array(WindowJson), ...errors } } },
      async (request) => (await maintenance.list(request.query.state)).map(json),
    );
    app.get(
      '/maintenance/:id',
      { config: { access: 'read' }, schema: { params: IdParams, response: { 200: WindowJson, ...errors } } },
      async (request) => json(await maintenance.get(request.params.id)),
    );
    app.patch(
      '/maintenance/:id',
      { config: { access: 'admin' }, schema: { params: IdParams, body: PatchBody, response: { 200: WindowJson, ...errors } } },
      async (request) => json(await maintenance.change(request.params.id, request.body)),
    );
    app.delete(
      '/maintenance/:id',
      { config: { access: 'admin' }, schema: { params: IdParams, response: { 200: WindowJson, ...errors } } },
      async (request) => json(await maintenance.end(request.params.id)),
    );
  };
}
