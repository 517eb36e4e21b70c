// The dashboard's pages (SPEC §10): the fleet overview with the node table (/ui/) and a node's page
// (/ui/nodes/{id}), each with its live region as a fragment (/ui/fragments/…) that the page fetches again
// when its change stream says the fleet changed. Rendering is fleet-page.ts's and node-page.ts's.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { filterOf, fleetQuery, FleetQuerySchema, NodeParams, sendHtml, type UiOptions } from './context.js';
import { fleetBody, fleetRegion, PAGE_SIZE, type FleetQuery, type FleetView } from './fleet-page.js';
import { html } from './html.js';
import { page, type Viewer } from './layout.js';
import { HISTORY_EVENTS, nodeBody, nodeRegion, type NodeView } from './node-page.js';
import { mustView, viewerOrSignIn } from './session.js';
import { chartWindow, DEFAULT_BY, overviewView } from './availability-routes.js';
import { groupsPlaceholder, overviewRegion } from './availability-page.js';

/** The windows of a node's availability on its page. */
const NODE_WINDOWS = ['24h', '7d', '30d'] as const;

/** What the pages read: the fleet's view and a node's. */
export function views(options: Pick<UiOptions, 'nodes' | 'readiness' | 'clock' | 'availability'>) {
  const { nodes, readiness, clock, availability } = options;
  return {
    async fleet(query: FleetQuery, viewer: Viewer): Promise<FleetView> {
      const cursor = query.before ? { before: query.before } : { after: query.after };
      const [statistics, flapping, degraded, inMaintenance, brake, ready, pageOfNodes] = await Promise.all([
        nodes.statistics(),
        nodes.statistics({ selector: [{ kind: 'flag', flag: 'flapping', value: true }], q: null }),
        nodes.statistics({ selector: [{ kind: 'field', field: 'health', op: 'in', values: ['degraded'] }], q: null }),
        nodes.statistics({ selector: [{ kind: 'flag', flag: 'maintenance', value: true }], q: null }),
        nodes.brake(),
        readiness(),
        nodes.browse(filterOf(query), cursor, PAGE_SIZE),
      ]);
      return {
        query, statistics, flapping: flapping.total, degraded: degraded.total, inMaintenance: inMaintenance.total, brake, readiness: ready, page: pageOfNodes, viewer, nowMs: clock.now(),
      };
    },
    async node(id: string, viewer: Viewer, notice?: NodeView['notice']): Promise<NodeView> {
      const node = await nodes.get(id);
      const [events, window, ...shares] = await Promise.all([
        nodes.nodeEvents(id, null, HISTORY_EVENTS), nodes.windowOf(node), ...NODE_WINDOWS.map((w) => availability.node(id, w)),
      ]);
      const availabilityRows = shares.filter((a) => a !== null);
      return { node, window, events, availability: availabilityRows, viewer, nowMs: clock.now(), ...(notice ? { notice } : {}) };
    },
    lastEventId: async () => (await nodes.eventBounds()).last,
  };
}

/** Registers the pages and their fragments. */
export async function pageRoutes(app: FastifyInstance, options: UiOptions): Promise<void> {
  const view = views(options);
  app.get<{ Querystring: FleetQuerySchema }>('/', { schema: { querystring: FleetQuerySchema, hide: true } }, async (request, reply) => {
    const viewer = viewerOrSignIn(request, reply);
    if (!viewer) return reply;
    const [fleet, last, glance] = await Promise.all([view.fleet(fleetQuery(request.query), viewer), view.lastEventId(), overviewView(options, chartWindow(request.query.chart))]);
    const body = fleetBody(fleet, overviewRegion(glance), groupsPlaceholder(DEFAULT_BY, '24h'));
    return sendHtml(reply, page({ title: 'Fleet', viewer, nowMs: fleet.nowMs, stream: `/ui/stream?after=${last}` }, body));
  });

  app.get<{ Querystring: FleetQuerySchema }>('/fragments/fleet', { schema: { querystring: FleetQuerySchema, hide: true } }, async (request, reply) => {
    return sendHtml(reply, fleetRegion(await view.fleet(fleetQuery(request.query), mustView(request))));
  });

  app.get<{ Params: NodeParams; Querystring: { saved?: string } }>('/nodes/:id', { schema: { params: NodeParams, hide: true } }, async (request, reply) => {
    const viewer = viewerOrSignIn(request, reply);
    if (!viewer) return reply;
    const saved = request.query.saved === 'labels';
    const notice = saved ? { error: false, text: 'Labels saved.' } : request.query.saved === 'maintenance' ? { error: false, text: 'Maintenance window made.' } : undefined;
    const [node, last] = await Promise.all([view.node(request.params.id, viewer, notice), view.lastEventId()]);
    const stream = `/ui/stream?after=${last}&node=${encodeURIComponent(node.node.id)}`;
    return sendHtml(reply, page({ title: `Node ${node.node.id}`, viewer, nowMs: node.nowMs, stream }, nodeBody(node)));
  });

  app.get<{ Params: NodeParams }>('/fragments/nodes/:id', { schema: { params: NodeParams, hide: true } }, async (request, reply) => {
    const viewer = mustView(request);
    try {
      return sendHtml(reply, nodeRegion(await view.node(request.params.id, viewer)));
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'NODE_NOT_FOUND')) throw err;
      // Deregistered while the page was open: the region says so and stops following the stream.
      return sendHtml(reply, html`<div id="node"><p class="notice error" role="alert">Node ${request.params.id} was deregistered.</p></div>`);
    }
  });
}
