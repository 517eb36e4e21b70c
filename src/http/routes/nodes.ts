// The node API of SPEC §2 under /api/v1/master. Handlers only translate HTTP ↔ the node use cases.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { afterParam, integerParam, nextPageLink } from '../query.js';
import { sendSerialized } from '../serialized.js';
import { AppError } from '../../errors.js';
import type { NodeRecord } from '../../domain/node.js';
import type { Nodes } from '../../nodes/index.js';
import { checkObjectLimits, LIMITS } from '../../limits.js';
import { parseRfc3339, renderNode } from '../render.js';
import {
  ConfigBody,
  ErrorJson,
  IdParams,
  NodeJson,
  NodeJsonWithToken,
  NodeSummaryJson,
  RegisterBody,
  GroupedStatisticsJson,
  StatisticsJson,
  StatusBody,
  TokenJson,
} from '../schemas.js';
import { Type } from '@sinclair/typebox';
import { FILTER_KEYS, LIST_KEYS, ListQuery, StatisticsQuery, parseNodeFilter } from '../node-filter.js';
import { parseGroupBy } from '../../domain/grouping.js';

const errors = { 400: ErrorJson, 401: ErrorJson, 403: ErrorJson, 404: ErrorJson, 500: ErrorJson };

/** The reads: the list and its pages, the statistics, one node. */
function readRoutes(app: ReturnType<typeof typed>, nodes: Nodes): void {
  // Without filters or paging: every node, as the original (the document is built and cached until
  // the list changes by the store). With any of them: a keyset page, X-Total-Count and a Link to the
  // next page (SPEC §9.5).
  app.get(
    '/nodes',
    { config: { access: 'read' }, schema: { querystring: ListQuery, response: { 200: Type.Array(NodeSummaryJson), 400: ErrorJson } } },
    async (request, reply) => {
      const q = request.query;
      if (!LIST_KEYS.some((k) => q[k] !== undefined)) return sendSerialized(reply, await nodes.listDocument());
      const filter = parseNodeFilter(q);
      const limit = integerParam('limit', q.limit, 1, 1000) ?? 1000;
      const page = await nodes.listPage(filter, afterParam(q.after), limit);
      reply.header('x-total-count', String(page.total));
      if (page.next !== null) reply.header('link', nextPageLink(request.url, page.next, limit));
      return sendSerialized(reply, page.doc);
    },
  );

  app.get(
    '/nodes/statistics',
    { config: { access: 'read' }, schema: { querystring: StatisticsQuery, response: { 200: Type.Union([StatisticsJson, GroupedStatisticsJson]), 400: ErrorJson } } },
    (request) => {
      const q = request.query;
      const filter = FILTER_KEYS.some((k) => q[k] !== undefined) ? parseNodeFilter(q) : undefined;
      if (q.by === undefined) return nodes.statistics(filter);
      const by = parseGroupBy(q.by);
      if (!by.ok) throw new AppError('BAD_REQUEST', `invalid request: ${by.error}`);
      return nodes.statisticsBy(filter ?? { selector: [], q: null }, by.by);
    },
  );

  app.get(
    '/nodes/:id',
    { config: { access: 'node-read' }, schema: { params: IdParams, response: { 200: NodeJson, ...errors } } },
    async (request) => shown(nodes, await nodes.get(request.params.id)),
  );
}

/** The full node object, with its maintenance window's details when it is in one (SPEC §13). */
const shown = async (nodes: Nodes, node: NodeRecord) => renderNode(node, await nodes.windowOf(node));

/** The changes: registration, status report, config and labels, deregistration, a node's token. */
function writeRoutes(app: ReturnType<typeof typed>, nodes: Nodes, options: { tokens: boolean }): void {
  app.post(
    '/nodes',
    { config: { access: 'register' }, schema: { body: RegisterBody, response: { 200: NodeJson, 201: NodeJsonWithToken, ...errors } } },
    async (request, reply) => {
      const b = request.body;
      checkObjectLimits('meta_data', b.meta_data, { stringsAtMost: LIMITS.maxStringLength });
      const { created, node, token } = await nodes.register(
        {
          id: b.id === undefined || b.id === null || b.id === '' ? null : b.id,
          name: b.name,
          type: b.type,
          version: b.version,
          metaData: b.meta_data,
        },
        request.principal ?? undefined,
      );
      const body = await shown(nodes, node);
      return reply.code(created ? 201 : 200).send(token === undefined ? body : { ...body, token });
    },
  );

  app.put(
    '/nodes/:id/status',
    { config: { access: 'node-write' }, schema: { params: IdParams, body: StatusBody, response: { 200: NodeJson, ...errors } } },
    async (request) => {
      checkObjectLimits('health', request.body.health);
      const agentTimestampMs = parseRfc3339(request.body.timestamp);
      if (agentTimestampMs === undefined) {
        throw new AppError('BAD_REQUEST', 'invalid request: body/timestamp must be an RFC 3339 date-time such as 2025-09-24T03:24:59Z');
      }
      return shown(nodes, await nodes.report(request.params.id, { agentTimestampMs, health: request.body.health }));
    },
  );

  app.put(
    '/nodes/:id/config',
    { config: { access: 'admin' }, schema: { params: IdParams, body: ConfigBody, response: { 200: NodeJson, ...errors } } },
    async (request) => {
      const { config, label } = request.body;
      if (config === undefined && label === undefined) {
        throw new AppError('BAD_REQUEST', 'invalid request: body must have "config" and/or "label"');
      }
      if (config !== undefined) checkObjectLimits('config', config);
      // The label rules are applied by the use case (domain/labels.ts), for the dashboard's form alike.
      return shown(nodes, await nodes.configure(request.params.id, { config, label }));
    },
  );

  app.delete(
    '/nodes/:id',
    { config: { access: 'admin' }, schema: { params: IdParams, response: { 200: NodeJson, ...errors } } },
    async (request) => shown(nodes, await nodes.deregister(request.params.id)),
  );

  if (options.tokens) {
    app.post(
      '/nodes/:id/token',
      { config: { access: 'admin' }, schema: { params: IdParams, response: { 200: TokenJson, ...errors } } },
      async (request) => ({ id: request.params.id, token: await nodes.rotateToken(request.params.id) }),
    );
  }
}

const typed = (instance: FastifyInstance) => instance.withTypeProvider<TypeBoxTypeProvider>();

/** Registers the node routes on the plugin's prefix (the token route only in token mode). */
export function nodeRoutes(nodes: Nodes, options: { tokens: boolean }) {
  return async function plugin(instance: FastifyInstance): Promise<void> {
    const app = typed(instance);
    readRoutes(app, nodes);
    writeRoutes(app, nodes, options);
  };
}
