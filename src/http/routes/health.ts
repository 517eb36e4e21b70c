// Probes: /healthz (the process lives) and /readyz (a real database query succeeds).
import type { FastifyInstance } from 'fastify';
import type { Registry } from '../../registry.js';
import { ErrorJson } from '../schemas.js';
import { Type } from '@sinclair/typebox';

/** Registers the probes under the prefix the plugin is mounted at. */
export function healthRoutes(registry: Pick<Registry, 'readiness'>) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get('/healthz', { config: { access: 'open' }, schema: { response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({
      status: 'ok',
    }));
    app.get(
      '/readyz',
      {
        config: { access: 'open' },
        schema: {
          response: { 200: Type.Object({ status: Type.String(), warnings: Type.Optional(Type.Array(Type.String())) }), 503: ErrorJson },
        },
      },
      async (request, reply) => {
        const r = await registry.readiness();
        if (!r.ready) {
          request.log.warn({ reason: r.error }, 'not ready');
          return reply.code(503).send({ error: r.error });
        }
        // Warnings (a published file that cannot be written, a held mass offline) do not stop the API.
        return r.warnings.length > 0 ? { status: 'ready', warnings: r.warnings } : { status: 'ready' };
      },
    );
  };
}
