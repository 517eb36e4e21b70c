// GET /api/v1/master/sd/prometheus: Prometheus http_sd_config. One target group per matching node,
// ordered by ID; an ETag on every answer and 304 on a matching If-None-Match. The document is built by
// the store in steps and sent in parts: at 100,000 nodes it is tens of megabytes, and building it through
// JavaScript objects would block the worker for about a second.
import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { listParam } from '../query.js';
import { sendSerialized } from '../serialized.js';
import { parsePorts } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Nodes } from '../../nodes/index.js';
import { ErrorJson } from '../schemas.js';
import { parameterRequirements, selectorParam } from '../node-filter.js';

/** Most target ports one discovery request may ask for (a target per node and port). */
export const MAX_SD_PORTS = 16;

const StringOrList = Type.Union([Type.String(), Type.Array(Type.String())]);
const SdQuery = Type.Object({
  port: Type.Optional(StringOrList),
  status: Type.Optional(StringOrList),
  label: Type.Optional(StringOrList),
  selector: Type.Optional(Type.String()),
});
type SdQuery = Static<typeof SdQuery>;

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/** Registers the discovery route; `defaultPorts` come from PROMETHEUS_SD_PORTS. */
export function sdRoutes(nodes: Pick<Nodes, 'targetGroups'>, defaultPorts: readonly number[]) {
  return async function plugin(instance: FastifyInstance): Promise<void> {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/sd/prometheus',
      { config: { access: 'read' }, schema: { querystring: SdQuery, response: { 400: ErrorJson } } },
      async (request, reply) => {
        const q = request.query;
        const portList = listParam(q.port);
        const ports = portList.length === 0 ? defaultPorts : parsePorts(portList.join(','));
        if (!ports) throw new AppError('BAD_REQUEST', 'invalid request: port must be a number from 1 to 65535');
        // Each port multiplies the document: a target per node and port.
        if (ports.length > MAX_SD_PORTS) throw new AppError('BAD_REQUEST', `invalid request: at most ${MAX_SD_PORTS} ports may be asked for, not ${ports.length}`);
        // The online nodes unless the query names statuses (SPEC §7), in `status` or in the selector.
        const selector = [...parameterRequirements({ status: q.status, label: q.label }), ...selectorParam(q.selector)];
        if (!selector.some((r) => r.kind === 'field' && r.field === 'status')) selector.unshift({ kind: 'field', field: 'status', op: 'in', values: ['online'] });
        const { parts, etag, bytes } = await nodes.targetGroups({ selector, ports });
        reply.header('etag', etag).header('cache-control', 'no-cache');
        if (matchesEtag(request.headers['if-none-match'], etag)) return (reply as FastifyReply).code(304).send();
        return sendSerialized((reply as FastifyReply).header('content-length', bytes), Readable.from(parts));
      },
    );
  };
}
