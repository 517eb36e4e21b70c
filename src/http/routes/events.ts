// The history and the live stream (SPEC §8.2): GET /events (a cursor, filters, 410 when the cursor was
// pruned), GET /nodes/{id}/events (newest first, Link paging) and GET /events/stream (Server-Sent
// Events, resumed from Last-Event-ID or ?after=, keep-alive comments every 15 s). Handlers only
// translate HTTP ↔ the node use cases and the process's event feed.
import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ALL_EVENT_TYPES, type EventType, type StoredEvent } from '../../domain/events.js';
import { AppError } from '../../errors.js';
import type { EventFeed } from '../../events/feed.js';
import type { Nodes } from '../../nodes/index.js';
import { ErrorJson, IdParams } from '../schemas.js';
import { integerParam, listParam } from '../query.js';
import { sendSerialized } from '../serialized.js';
import { streamSet, tooManyStreams } from '../../edge/sse.js';

const StringOrList = Type.Union([Type.String(), Type.Array(Type.String())]);
const EventsQuery = Type.Object({
  after: Type.Optional(Type.String()),
  limit: Type.Optional(Type.String()),
  type: Type.Optional(StringOrList),
  node_id: Type.Optional(StringOrList),
});
type EventsQuery = Static<typeof EventsQuery>;
const NodeEventsQuery = Type.Object({ before: Type.Optional(Type.String()), limit: Type.Optional(Type.String()) });
type NodeEventsQuery = Static<typeof NodeEventsQuery>;

/** One event as the API shows it. */
export const EventJson = Type.Object(
  {
    id: Type.Integer({ minimum: 1 }),
    time: Type.String(),
    type: Type.String(),
    node_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** Most node IDs one request may filter on (each is one index read per page). */
export const MAX_EVENT_NODE_FILTERS = 100;

function filters(q: EventsQuery): { types: EventType[]; nodeIds: string[] } {
  const types = [...new Set(listParam(q.type))];
  const unknown = types.find((t) => !(ALL_EVENT_TYPES as readonly string[]).includes(t));
  if (unknown !== undefined) throw new AppError('BAD_REQUEST', `invalid request: type must be one of ${ALL_EVENT_TYPES.join(', ')}`);
  const nodeIds = [...new Set(listParam(q.node_id))];
  if (nodeIds.length > MAX_EVENT_NODE_FILTERS) throw new AppError('BAD_REQUEST', `invalid request: at most ${MAX_EVENT_NODE_FILTERS} node_id values, not ${nodeIds.length}`);
  return { types: types as EventType[], nodeIds };
}

/** The JSON array of `events`, built from their stored JSON (no parse, no re-serialisation). */
const asArray = (events: readonly StoredEvent[]) => `[${events.map((e) => e.json).join(',')}]`;

/** One SSE message. */
const sse = (e: StoredEvent) => `id: ${e.id}\nevent: ${e.type}\ndata: ${e.json}\n\n`;

/**
 * Registers the event routes (under the base path); `feed` is this process's live feed, `maxStreams` the
 * streams it may have open at once (its share of MAX_STREAMS, dashboards' included).
 */
export function eventRoutes(nodes: Nodes, feed: EventFeed, onClients: (n: number) => void, maxStreams = Infinity) {
  return async function plugin(instance: FastifyInstance): Promise<void> {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/events',
      { config: { access: 'read' }, schema: { querystring: EventsQuery, response: { 200: Type.Array(EventJson), 400: ErrorJson, 410: Type.Object({ error: Type.String(), oldest: Type.Integer() }) } } },
      async (request, reply) => {
        const q = request.query;
        const events = await nodes.events({
          after: integerParam('after', q.after, 0, Number.MAX_SAFE_INTEGER),
          limit: integerParam('limit', q.limit, 1, 1000) ?? 100,
          ...filters(q),
        });
        return sendSerialized(reply, asArray(events));
      },
    );

    app.get(
      '/nodes/:id/events',
      { config: { access: 'read' }, schema: { params: IdParams, querystring: NodeEventsQuery, response: { 200: Type.Array(EventJson), 400: ErrorJson, 404: ErrorJson } } },
      async (request, reply) => {
        const limit = integerParam('limit', request.query.limit, 1, 1000) ?? 100;
        const events = await nodes.nodeEvents(request.params.id, integerParam('before', request.query.before, 1, Number.MAX_SAFE_INTEGER), limit);
        if (events.length === limit) {
          const next = `${request.url.split('?')[0]}?before=${events.at(-1)!.id}&limit=${limit}`;
          reply.header('link', `<${next}>; rel="next"`);
        }
        return sendSerialized(reply, asArray(events));
      },
    );

    const streams = streamSet();
    app.addHook('preClose', async () => streams.endAll());

    app.get(
      '/events/stream',
      { config: { access: 'read', stream: true }, schema: { querystring: EventsQuery, response: { 400: ErrorJson, 503: ErrorJson } } },
      async (request, reply) => {
        const q = request.query;
        const { types, nodeIds } = filters(q);
        if (feed.size() >= maxStreams) return tooManyStreams(reply, maxStreams);
        const header = request.headers['last-event-id'];
        const resume = integerParam('Last-Event-ID', typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined, 0, Number.MAX_SAFE_INTEGER)
          ?? integerParam('after', q.after, 0, Number.MAX_SAFE_INTEGER);
        // With neither, the stream starts with the next new event.
        const after = resume ?? (await nodes.eventBounds()).last;

        let unsubscribe = () => {};
        const stream = streams.open(reply, 'argus-master event stream', () => {
          unsubscribe();
          onClients(feed.size());
        });
        if (!stream) return reply; // HEAD, or the client is gone
        unsubscribe = feed.subscribe({
          after, types, nodeIds,
          send: (events) => stream.write(events.map(sse).join('')),
          reset: (oldest) => stream.write(`event: reset\ndata: ${JSON.stringify({ oldest })}\n\n`),
        });
        onClients(feed.size());
      },
    );
  };
}
