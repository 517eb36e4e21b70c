// The dashboard's maintenance (SPEC §13): the page and its live fragment for every viewer, and the
// admin's changes: make a window (from the page, or for one node from its page) and end one. Each goes
// through the same use cases as the API (maintenance/windows.ts); a refusal is the page again with the
// reason (400), what was typed kept.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { sendHtml, type UiOptions } from './context.js';
import { page } from './layout.js';
import { maintenanceBody, maintenanceRegion, type MaintenanceView } from './maintenance-page.js';
import { mustChange, mustView, viewerOrSignIn } from './session.js';
import type { Viewer } from './layout.js';

const WindowForm = Type.Object({
  selector: Type.Optional(Type.String({ maxLength: 4096 })),
  nodes: Type.Optional(Type.String({ maxLength: 65_536 })),
  duration_seconds: Type.Optional(Type.String({ maxLength: 16 })),
  reason: Type.Optional(Type.String({ maxLength: 1024 })),
  /** A node page to go back to (the node page's form); anything else goes to the maintenance page. */
  back: Type.Optional(Type.String({ maxLength: 128 })),
});
const WindowParams = Type.Object({ id: Type.String({ maxLength: 32 }) });
const NODE_PAGE = /^\/ui\/nodes\/[A-Za-z0-9_-]{1,64}$/;

/** Registers the maintenance page, its fragment and the admin's actions. */
export async function maintenanceRoutes(app: FastifyInstance, options: UiOptions): Promise<void> {
  const { maintenance, clock } = options;
  const view = async (viewer: Viewer, extra: Partial<MaintenanceView> = {}): Promise<MaintenanceView> =>
    ({ windows: await maintenance.list(), viewer, nowMs: clock.now(), ...extra });
  const lastEventId = async () => (await options.nodes.eventBounds()).last;

  app.get('/maintenance', { schema: { hide: true } }, async (request, reply) => {
    const viewer = viewerOrSignIn(request, reply);
    if (!viewer) return reply;
    const [v, last] = await Promise.all([view(viewer), lastEventId()]);
    return sendHtml(reply, page({ title: 'Maintenance', viewer, nowMs: v.nowMs, stream: `/ui/stream?after=${last}` }, maintenanceBody(v)));
  });

  app.get('/fragments/maintenance', { schema: { hide: true } }, async (request, reply) => sendHtml(reply, maintenanceRegion(await view(mustView(request)))));

  app.post<{ Body: Static<typeof WindowForm> }>('/maintenance', { schema: { body: WindowForm, hide: true } }, async (request, reply) => {
    const viewer = mustChange(request);
    const b = request.body ?? {};
    const nodes = (b.nodes ?? '').split(/[\s,]+/).filter((id) => id !== '');
    const back = b.back && NODE_PAGE.test(b.back) ? b.back : null;
    try {
      const duration = Number(b.duration_seconds ?? '');
      await maintenance.create({ selector: b.selector ?? '', nodes, reason: b.reason ?? '', duration_seconds: Number.isFinite(duration) ? duration : Number.NaN }, viewer.kind ?? 'dashboard');
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'BAD_REQUEST') throw err;
      const text = `Window not made: ${err.message.replace(/^invalid request: /, '')}.`;
      const v = await view(viewer, { notice: { error: true, text }, form: { selector: b.selector ?? '', nodes: b.nodes ?? '', reason: b.reason ?? '' } });
      return sendHtml(reply, page({ title: 'Maintenance', viewer, nowMs: v.nowMs }, maintenanceBody(v)), 400);
    }
    return reply.redirect(back ? `${back}?saved=maintenance` : '/ui/maintenance', 303);
  });

  app.post<{ Params: Static<typeof WindowParams> }>('/maintenance/:id/end', { schema: { params: WindowParams, hide: true } }, async (request, reply) => {
    mustChange(request);
    await maintenance.end(request.params.id);
    return reply.redirect('/ui/maintenance', 303);
  });
}
