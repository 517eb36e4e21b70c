// Availability and the fleet's history (SPEC §17): GET /availability (a selection's nodes, paged like
// GET /nodes, or by a field or label key with `by`; `format=csv` for either), GET /nodes/{id}/availability
// and GET /fleet/history. The use cases are availability/reports.ts's; here the HTTP shapes.
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Availability } from '../../availability/reports.js';
import { groupsCsvName, NODE_CSV_HEADER, nodeCsvLine, parseAvailabilityWindow, parseHistory } from '../../domain/availability.js';
import { parseGroupBy } from '../../domain/grouping.js';
import { isNodeIdShape } from '../../domain/node.js';
import { AppError, nodeNotFound } from '../../errors.js';
import { ListQuery, parseNodeFilter } from '../node-filter.js';
import { afterParam, integerParam, nextPageLink } from '../query.js';
import { AvailabilityJson, ErrorJson, FleetHistoryJson, GroupedAvailabilityJson, NodeAvailabilityJson } from '../schemas.js';

const Short = Type.Optional(Type.String({ maxLength: 128 }));
const AvailabilityQuery = Type.Composite([ListQuery, Type.Object({ window: Short, format: Short, by: Short })]);
const NodeQuery = Type.Object({ window: Short, format: Short });
const HistoryQuery = Type.Object({ window: Short, step: Short });
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const errors = { 400: ErrorJson, 401: ErrorJson, 403: ErrorJson, 404: ErrorJson };
const CSV = 'text/csv; charset=utf-8';

/** The checked value of a parser, or a 400 naming what is accepted. */
function accepted<T>(parsed: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!parsed.ok) throw new AppError('BAD_REQUEST', `invalid request: ${parsed.error}`);
  return parsed.value;
}

/** `format`: json (the default) or csv. */
function csvWanted(format: string | undefined): boolean {
  if (format === undefined || format === 'json') return false;
  if (format === 'csv') return true;
  throw new AppError('BAD_REQUEST', `invalid request: format: json or csv (got ${JSON.stringify(format.slice(0, 40))})`);
}

/** A CSV answer, named for a download. */
const sendCsv = (reply: FastifyReply, name: string, body: string | Readable) =>
  reply.type(CSV).header('content-disposition', `attachment; filename="${name}"`).send(body);

/** Registers the availability routes under the base path. */
export function availabilityRoutes(availability: Availability) {
  return async function plugin(instance: FastifyInstance): Promise<void> {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/availability',
      { config: { access: 'read' }, schema: { querystring: AvailabilityQuery, response: { 200: Type.Union([AvailabilityJson, GroupedAvailabilityJson]), 400: ErrorJson } } },
      async (request, reply) => {
        const q = request.query;
        const window = accepted(parseAvailabilityWindow(q.window));
        const csv = csvWanted(q.format);
        const filter = parseNodeFilter(q);
        if (q.by !== undefined) {
          const by = parseGroupBy(q.by);
          if (!by.ok) throw new AppError('BAD_REQUEST', `invalid request: ${by.error}`);
          const groups = await availability.groups(filter, window, by.by);
          return csv ? sendCsv(reply, groupsCsvName(window, q.by), availability.groupsCsv(groups)) : groups;
        }
        if (csv) return sendCsv(reply, `availability-${window}.csv`, Readable.from(availability.csv(filter, window)));
        const limit = integerParam('limit', q.limit, 1, 1000) ?? 1000;
        const { body, next } = await availability.page(filter, window, afterParam(q.after), limit);
        if (next !== null) reply.header('link', nextPageLink(request.url, next, limit));
        reply.header('x-total-count', String(body.total.nodes));
        return body;
      },
    );
    app.get(
      '/nodes/:id/availability',
      { config: { access: 'node-read' }, schema: { params: IdParams, querystring: NodeQuery, response: { 200: NodeAvailabilityJson, ...errors } } },
      async (request, reply) => {
        const window = accepted(parseAvailabilityWindow(request.query.window));
        const csv = csvWanted(request.query.format);
        const answer = isNodeIdShape(request.params.id) ? await availability.node(request.params.id, window) : null;
        if (answer === null) throw nodeNotFound(request.params.id);
        return csv ? sendCsv(reply, `availability-${answer.id}-${window}.csv`, NODE_CSV_HEADER + nodeCsvLine({ ...answer, from: answer.complete ? undefined : answer.from })) : answer;
      },
    );
    app.get(
      '/fleet/history',
      { config: { access: 'read' }, schema: { querystring: HistoryQuery, response: { 200: FleetHistoryJson, 400: ErrorJson } } },
      async (request) => {
        const h = accepted(parseHistory(request.query.window, request.query.step));
        return availability.history(h.window, h.windowMs, h.stepMs);
      },
    );
  };
}
