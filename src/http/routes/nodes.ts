// The node API of SPEC §2 under /api/v1/master. Handlers only translate HTTP ↔ registry.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { Registry } from '../../registry.js';
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
  StatisticsJson,
  StatusBody,
  TokenJson,
} from '../schemas.js';
import { Type } from '@sinclair/typebox';

const errors = { 400: ErrorJson, 401: ErrorJson, 403: ErrorJson, 404: ErrorJson, 500: ErrorJson };

/** Registers the node routes on the plugin's prefix (the token route only in token mode). */
export function nodeRoutes(registry: Registry, options: { tokens: boolean }) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    // The document is built (and cached until the list changes) by the store; the schema documents it.
    app.get('/nodes', { config: { access: 'read' }, schema: { response: { 200: Type.Array(NodeSummaryJson) } } }, async (_request, reply) =>
      reply.type('application/json; charset=utf-8').send(await registry.listDocument()),
    );

    app.get('/nodes/statistics', { config: { access: 'read' }, schema: { response: { 200: StatisticsJson } } }, () => registry.statistics());

    app.get<{ Params: IdParams }>(
      '/nodes/:id',
      { config: { access: 'node-read' }, schema: { params: IdParams, response: { 200: NodeJson, ...errors } } },
      async (request) => renderNode(await registry.get(request.params.id)),
    );

    app.post<{ Body: RegisterBody }>(
      '/nodes',
      { config: { access: 'register' }, schema: { body: RegisterBody, response: { 200: NodeJson, 201: NodeJsonWithToken, ...errors } } },
      async (request, reply) => {
        const b = request.body;
        checkObjectLimits('meta_data', b.meta_data, { stringsAtMost: LIMITS.maxStringLength });
        const { created, node, token } = await registry.register(
          {
            id: b.id === undefined || b.id === null || b.id === '' ? null : b.id,
            name: b.name,
            type: b.type,
            version: b.version,
            metaData: b.meta_data,
          },
          request.principal ?? undefined,
        );
        return reply.code(created ? 201 : 200).send(token === undefined ? renderNode(node) : { ...renderNode(node), token });
      },
    );

    app.put<{ Params: IdParams; Body: StatusBody }>(
      '/nodes/:id/status',
      { config: { access: 'node-write' }, schema: { params: IdParams, body: StatusBody, response: { 200: NodeJson, ...errors } } },
      async (request) => {
        checkObjectLimits('health', request.body.health);
        const agentTimestampMs = parseRfc3339(request.body.timestamp);
        if (agentTimestampMs === undefined) {
          throw new AppError('BAD_REQUEST', 'invalid request: body/timestamp must be an RFC 3339 date-time such as 2025-09-24T03:24:59Z');
        }
        return renderNode(await registry.report(request.params.id, { agentTimestampMs, health: request.body.health }));
      },
    );

    app.put<{ Params: IdParams; Body: ConfigBody }>(
      '/nodes/:id/config',
      { config: { access: 'admin' }, schema: { params: IdParams, body: ConfigBody, response: { 200: NodeJson, ...errors } } },
      async (request) => {
        const { config, label } = request.body;
        if (config === undefined && label === undefined) {
          throw new AppError('BAD_REQUEST', 'invalid request: body must have "config" and/or "label"');
        }
        if (config !== undefined) checkObjectLimits('config', config);
        // Discovery lists labels as ",a,b," (__meta_argus_labels): an empty label or one with a comma
        // would break that list for every consumer.
        const badLabel = label?.findIndex((l) => l === '' || l.includes(','));
        if (badLabel !== undefined && badLabel >= 0) {
          throw new AppError('BAD_REQUEST', `invalid request: body/label/${badLabel} must be a non-empty label without a comma`);
        }
        return renderNode(await registry.configure(request.params.id, { config, label }));
      },
    );

    app.delete<{ Params: IdParams }>(
      '/nodes/:id',
      { config: { access: 'admin' }, schema: { params: IdParams, response: { 200: NodeJson, ...errors } } },
      async (request) => renderNode(await registry.deregister(request.params.id)),
    );

    if (options.tokens) {
      app.post<{ Params: IdParams }>(
        '/nodes/:id/token',
        { config: { access: 'admin' }, schema: { params: IdParams, response: { 200: TokenJson, ...errors } } },
        async (request) => ({ id: request.params.id, token: await registry.rotateToken(request.params.id) }),
      );
    }
  };
}
