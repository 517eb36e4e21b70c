// What an admin changes from the dashboard (SPEC §10): a node's labels, its deregistration, the brake's
// release. Each is an admin's request from this origin (session.ts's mustChange), goes through the same
// use cases as the API (the label rules included), and answers with the page it came from (303) or, on
// a refusal the page can explain, that page with its notice (400).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { labelProblem } from '../domain/labels.js';
import { NodeParams, sendHtml, type UiOptions } from './context.js';
import { page } from './layout.js';
import { nodeBody } from './node-page.js';
import { views } from './pages.js';
import { mustChange } from './session.js';

const LabelsForm = Type.Object({ labels: Type.Optional(Type.String({ maxLength: 16_384 })) });
const DeregisterForm = Type.Object({ confirm: Type.Optional(Type.String()) });

/** Registers the actions. */
export async function actionRoutes(app: FastifyInstance, options: UiOptions): Promise<void> {
  const { nodes } = options;
  const view = views(options);
  /** The node page again with a notice of what was not done (400). */
  const refused = async (id: string, viewer: ReturnType<typeof mustChange>, text: string) => {
    const v = await view.node(id, viewer, { error: true, text });
    return { body: page({ title: `Node ${id}`, viewer, nowMs: v.nowMs }, nodeBody(v)) };
  };

  app.post<{ Params: NodeParams; Body: Static<typeof LabelsForm> }>('/nodes/:id/labels', { schema: { params: NodeParams, body: LabelsForm, hide: true } }, async (request, reply) => {
    const viewer = mustChange(request);
    const labels = [...new Set((request.body?.labels ?? '').split(',').map((l) => l.trim()).filter((l) => l !== ''))];
    const id = request.params.id;
    // The use case holds the rules (domain/labels.ts); here they are said on the page.
    const problem = labelProblem(labels);
    if (problem !== null) {
      const { body } = await refused(id, viewer, `Labels not saved: ${problem.replace(/^label\/(\d+)/, (_m, i: string) => `label ${Number(i) + 1}`)}.`);
      return sendHtml(reply, body, 400);
    }
    await nodes.configure(id, { label: labels });
    return reply.redirect(`/ui/nodes/${encodeURIComponent(id)}?saved=labels`, 303);
  });

  app.post<{ Params: NodeParams; Body: Static<typeof DeregisterForm> }>('/nodes/:id/deregister', { schema: { params: NodeParams, body: DeregisterForm, hide: true } }, async (request, reply) => {
    const viewer = mustChange(request);
    const id = request.params.id;
    if (request.body?.confirm !== 'yes') return sendHtml(reply, (await refused(id, viewer, 'Tick the box to confirm the deregistration.')).body, 400);
    await nodes.deregister(id);
    return reply.redirect('/ui/', 303);
  });

  app.post('/brake/release', { schema: { hide: true } }, async (request, reply) => {
    mustChange(request);
    await nodes.releaseBrake();
    return reply.redirect('/ui/', 303);
  });
}
