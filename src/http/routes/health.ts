// Probes: /healthz (the process lives) and /readyz (a real database query succeeds).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Registry } from '../../registry.js';
import { Type } from '@sinclair/typebox';

/** Registers the probes under the prefix the plugin is mounted at. */
export function healthRoutes(registry: Pick<Registry, 'readiness'>, options: { tokens: boolean } = { tokens: false }) {
  return async function plugin(instance: FastifyInstance): Promise<void> {
    const app = instance.withTypeProvider<TypeBoxTypeProvider>();
    app.get('/healthz', { config: { access: 'open' }, schema: { response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({
      status: 'ok',
    }));
    app.get(
      '/readyz',
      {
        config: { access: 'open' },
        schema: {
          response: {
            200: Type.Object({ status: Type.String(), warnings: Type.Optional(Type.Array(Type.String())) }),
            503: Type.Object({ error: Type.String(), warnings: Type.Optional(Type.Array(Type.String())) }),
          },
        },
      },
      async (request, reply) => {
        const r = await registry.readiness();
        // In token mode, details (file paths, error texts) only for a caller with a valid token.
        const detailed = !options.tokens || request.principal !== null;
        const warnings = r.warnings.map((w) => (detailed ? w.message : w.summary));
        const extra = warnings.length > 0 ? { warnings } : {};
        if (!r.ready) {
          request.log.warn({ reason: r.error, warnings }, 'not ready');
          return reply.code(503).send({ error: r.error, ...extra });
        }
        // Warnings (a published file that cannot be written, a held mass offline, failing writes) do
        // not stop the API.
        return { status: 'ready', ...extra };
      },
    );
  };
}
