// Notifications (SPEC §15): endpoints (POST admin, GET, PATCH, DELETE, POST …/test) and deliveries (GET
// ?endpoint=&state=, POST …/retry). The use cases are notifications/endpoints.ts's; here the HTTP shapes.
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { SELECTOR_LIMITS } from '../../domain/selector.js';
import { DELIVERY_STATES } from '../../storage/core/notifications.js';
import { ENDPOINT_LIMITS, renderDelivery, renderEndpoint, type Endpoints } from '../../notifications/endpoints.js';
import { DeliveryJson, EndpointJson, ErrorJson } from '../schemas.js';
import { integerParam } from '../query.js';

const EventList = Type.Array(Type.String({ maxLength: 64 }), { maxItems: ENDPOINT_LIMITS.maxEvents });
const EndpointBody = Type.Object({
  name: Type.String({ maxLength: ENDPOINT_LIMITS.maxName }),
  url: Type.String({ maxLength: ENDPOINT_LIMITS.maxUrl }),
  kind: Type.Optional(Type.String({ maxLength: 32 })),
  events: Type.Optional(EventList),
  selector: Type.Optional(Type.String({ maxLength: SELECTOR_LIMITS.maxBytes })),
}, { additionalProperties: false });
const PatchBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: ENDPOINT_LIMITS.maxName })),
  url: Type.Optional(Type.String({ maxLength: ENDPOINT_LIMITS.maxUrl })),
  events: Type.Optional(EventList),
  selector: Type.Optional(Type.String({ maxLength: SELECTOR_LIMITS.maxBytes })),
  enabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
const DeliveryQuery = Type.Object({
  endpoint: Type.Optional(Type.String({ maxLength: 64 })),
  state: Type.Optional(Type.Union(DELIVERY_STATES.map((s) => Type.Literal(s)))),
  before: Type.Optional(Type.String({ maxLength: 20 })),
  limit: Type.Optional(Type.String({ maxLength: 8 })),
}, { additionalProperties: false });
const IdParams = Type.Object({ id: Type.String({ maxLength: 128 }) });
const errors = { 400: ErrorJson, 401: ErrorJson, 403: ErrorJson, 404: ErrorJson, 409: ErrorJson };

/** Registers the notification routes under the base path. */
export function notificationRoutes(endpoints: Endpoints) {
  return async function plugin(instance: FastifyInstance): Promise<void> {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.post('/notifications/endpoints', { config: { access: 'admin' }, schema: { body: EndpointBody, response: { 201: EndpointJson, ...errors } } }, async (request, reply) => {
      const { endpoint, secret } = await endpoints.create(request.body);
      return reply.code(201).send({ ...renderEndpoint(endpoint), ...(secret === null ? {} : { secret }) });
    });
    app.get('/notifications/endpoints', { config: { access: 'read' }, schema: { response: { 200: Type.Array(EndpointJson), ...errors } } }, async () => (await endpoints.list()).map(renderEndpoint));
    app.get('/notifications/endpoints/:id', { config: { access: 'read' }, schema: { params: IdParams, response: { 200: EndpointJson, ...errors } } }, async (request) => renderEndpoint(await endpoints.get(request.params.id)));
    app.patch('/notifications/endpoints/:id', { config: { access: 'admin' }, schema: { params: IdParams, body: PatchBody, response: { 200: EndpointJson, ...errors } } }, async (request) => renderEndpoint(await endpoints.change(request.params.id, request.body)));
    app.delete('/notifications/endpoints/:id', { config: { access: 'admin' }, schema: { params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
      await endpoints.remove(request.params.id);
      return reply.code(204).send(null);
    });
    app.post('/notifications/endpoints/:id/test', { config: { access: 'admin' }, schema: { params: IdParams, response: { 202: DeliveryJson, ...errors } } }, async (request, reply) => reply.code(202).send(renderDelivery(await endpoints.test(request.params.id))));
    app.get('/notifications/deliveries', { config: { access: 'read' }, schema: { querystring: DeliveryQuery, response: { 200: Type.Array(DeliveryJson), ...errors } } }, async (request, reply) => {
      const q = request.query;
      const limit = integerParam('limit', q.limit, 1, 1000) ?? 100;
      const rows = await endpoints.deliveries({ endpoint: q.endpoint, state: q.state, before: integerParam('before', q.before, 1, Number.MAX_SAFE_INTEGER) ?? undefined, limit });
      if (rows.length === limit) {
        const next = new URLSearchParams({ ...(q.endpoint ? { endpoint: q.endpoint } : {}), ...(q.state ? { state: q.state } : {}), before: String(rows.at(-1)!.seq), limit: String(limit) });
        void reply.header('link', `<${request.url.split('?')[0]}?${next.toString()}>; rel="next"`);
      }
      return rows.map(renderDelivery);
    });
    app.get('/notifications/deliveries/:id', { config: { access: 'read' }, schema: { params: IdParams, response: { 200: DeliveryJson, ...errors } } }, async (request) => renderDelivery(await endpoints.delivery(request.params.id)));
    app.post('/notifications/deliveries/:id/retry', { config: { access: 'admin' }, schema: { params: IdParams, response: { 202: DeliveryJson, ...errors } } }, async (request, reply) => reply.code(202).send(renderDelivery(await endpoints.retry(request.params.id))));
  };
}
