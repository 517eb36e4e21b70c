// The change stream of a dashboard page (/ui/stream): `event: change` when the fleet (or, with `node`, that
// node) changed after `after`, at most once per CHANGE_COALESCE_MS; the page then fetches its live region
// again (a burst of 100,000 events is one refresh). Counted with the API's streams against MAX_STREAMS.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Timer } from '../clock.js';
import { isNodeIdShape } from '../domain/node.js';
import { streamSet, tooManyStreams } from '../edge/sse.js';
import { nodeNotFound } from '../errors.js';
import type { UiOptions } from './context.js';
import { mustView } from './session.js';

/** A change is announced at most this often per stream. */
export const CHANGE_COALESCE_MS = 300;

const StreamQuery = Type.Object({ after: Type.Optional(Type.String({ pattern: '^\\d{1,15}$' })), node: Type.Optional(Type.String({ maxLength: 64 })) });

/** Registers the change stream. */
export async function streamRoutes(app: FastifyInstance, options: UiOptions): Promise<void> {
  const { feed, nodes, clock } = options;
  const streams = streamSet();
  app.addHook('preClose', async () => streams.endAll());
  app.get<{ Querystring: Static<typeof StreamQuery> }>('/stream', { config: { stream: true }, schema: { querystring: StreamQuery, hide: true } }, async (request, reply) => {
    mustView(request);
    const maxStreams = options.maxStreams ?? Infinity;
    if (feed.size() >= maxStreams) return tooManyStreams(reply, maxStreams);
    const after = request.query.after !== undefined ? Number(request.query.after) : (await nodes.eventBounds()).last;
    const node = request.query.node;
    if (node !== undefined && !isNodeIdShape(node)) throw nodeNotFound(node);
    let timer: Timer | null = null;
    let stop = () => {};
    const stream = streams.open(reply, 'argus-master dashboard changes', () => {
      timer?.cancel();
      stop();
      options.onClients(feed.size());
    });
    if (!stream) return reply; // HEAD, or the browser is gone
    const changed = () => {
      timer ??= clock.setTimeout(() => {
        timer = null;
        void stream.write('event: change\ndata: {}\n\n');
      }, CHANGE_COALESCE_MS);
    };
    stop = node === undefined
      ? feed.watch(after, changed)
      : feed.subscribe({ after, types: [], nodeIds: [node], send: async () => changed(), reset: async () => changed() });
    options.onClients(feed.size());
  });
}
