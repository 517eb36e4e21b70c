// GET /metrics: the master's own metrics in the Prometheus text format, and the per-request HTTP metrics.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { METRICS_CONTENT_TYPE, type Metrics } from '../../metrics.js';

/**
 * Registers /metrics (answered by `text`, which may merge several processes) and the HTTP metrics hook,
 * which must see every route: the plugin is wrapped by fastify-plugin so its hook is not encapsulated.
 */
export function metricsRoutes(metrics: Metrics, text: () => Promise<string>) {
  return fp(async function plugin(app: FastifyInstance): Promise<void> {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.httpRequests.inc({ method: request.method, route, code: String(reply.statusCode) });
      metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    });
    app.get('/metrics', { config: { access: 'read' } }, async (_request, reply) => reply.type(METRICS_CONTENT_TYPE).send(await text()));
  }, { name: 'argus-metrics' });
}
