// The dashboard's notifications (SPEC §15): the page and its live fragment for every viewer, and the
// admin's changes: add an endpoint (its secret shown once on the page that answers), send a test,
// disable, enable or remove one, retry a delivery. Each goes through the same use cases as the API
// (notifications/endpoints.ts); a refusal is the page again with the reason (400), what was typed kept.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { sendHtml, type UiOptions } from './context.js';
import { page, type Viewer } from './layout.js';
import { notificationsBody, notificationsRegion, type NotificationsView } from './notifications-page.js';
import { mustChange, mustView, viewerOrSignIn } from './session.js';

const EndpointForm = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 256 })),
  url: Type.Optional(Type.String({ maxLength: 2048 })),
  kind: Type.Optional(Type.String({ maxLength: 32 })),
  selector: Type.Optional(Type.String({ maxLength: 4096 })),
});
const IdParams = Type.Object({ id: Type.String({ maxLength: 32 }), action: Type.Union(['test', 'disable', 'enable', 'remove'].map((a) => Type.Literal(a))) });
const DeliveryParams = Type.Object({ id: Type.String({ maxLength: 128 }) });
const LATEST = 50;

/** Registers the notifications page, its fragment and the admin's actions. */
export async function notificationRoutes(app: FastifyInstance, options: UiOptions): Promise<void> {
  const { endpoints, clock } = options;
  const view = async (viewer: Viewer, extra: Partial<NotificationsView> = {}): Promise<NotificationsView> =>
    ({ endpoints: await endpoints.list(), deliveries: await endpoints.deliveries({ limit: LATEST }), viewer, nowMs: clock.now(), ...extra });
  const lastEventId = async () => (await options.nodes.eventBounds()).last;
  const show = async (viewer: Viewer, v: NotificationsView) => page({ title: 'Notifications', viewer, nowMs: v.nowMs, stream: `/ui/stream?after=${await lastEventId()}` }, notificationsBody(v));

  app.get('/notifications', { schema: { hide: true } }, async (request, reply) => {
    const viewer = viewerOrSignIn(request, reply);
    if (!viewer) return reply;
    return sendHtml(reply, await show(viewer, await view(viewer)));
  });

  app.get('/fragments/notifications', { schema: { hide: true } }, async (request, reply) => sendHtml(reply, notificationsRegion(await view(mustView(request)))));

  app.post<{ Body: Static<typeof EndpointForm> }>('/notifications', { schema: { body: EndpointForm, hide: true } }, async (request, reply) => {
    const viewer = mustChange(request);
    const b = request.body ?? {};
    const form = { name: b.name ?? '', url: b.url ?? '', kind: b.kind ?? 'webhook', selector: b.selector ?? '' };
    try {
      const made = await endpoints.create(form);
      const v = await view(viewer, made.secret === null ? { notice: { error: false, text: `Endpoint ${made.endpoint.id} added.` } } : { secret: { endpoint: made.endpoint.id, value: made.secret } });
      // The page that shows the secret must not be kept by a cache, nor be the one a reload posts again.
      void reply.header('cache-control', 'no-store');
      return sendHtml(reply, await show(viewer, v), 201);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'BAD_REQUEST') throw err;
      const v = await view(viewer, { notice: { error: true, text: `Endpoint not added: ${err.message.replace(/^invalid request: /, '')}.` }, form });
      return sendHtml(reply, await show(viewer, v), 400);
    }
  });

  app.post<{ Params: Static<typeof IdParams> }>('/notifications/:id/:action', { schema: { params: IdParams, hide: true } }, async (request, reply) => {
    mustChange(request);
    const { id, action } = request.params;
    if (action === 'test') await endpoints.test(id);
    else if (action === 'remove') await endpoints.remove(id);
    else await endpoints.change(id, { enabled: action === 'enable' });
    return reply.redirect('/ui/notifications', 303);
  });

  app.post<{ Params: Static<typeof DeliveryParams> }>('/notifications/deliveries/:id/retry', { schema: { params: DeliveryParams, hide: true } }, async (request, reply) => {
    mustChange(request);
    await endpoints.retry(request.params.id);
    return reply.redirect('/ui/notifications', 303);
  });
}
