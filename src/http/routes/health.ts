// Probes: /healthz (the process lives) and /readyz (a real database query succeeds).
import type { FastifyInstance } from 'fastify';
import type { Registry } from '../../registry.js';
import { ErrorJson } from '../schemas.js';
import { Type } from '@sinclair/typebox';

/** Registers the probes under the prefix the plugin is mounted at. */
export function healthRoutes(registry: Pick<Registry, 'ping'>) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get('/healthz', { schema: { response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({
      status: 'ok',
    }));
    app.get(
      '/readyz',
      { schema: { response: { 200: Type.Object({ status: Type.String() }), 503: ErrorJson } } },
      async (request, reply) => {
        try {
          await registry.ping();
          return { status: 'ready' };
        } catch (err) {
          request.log.warn({ err }, 'readiness check failed');
          return reply.code(503).send({ error: `database unavailable: ${(err as Error).message}` });
        }
      },
    );
  };
}
