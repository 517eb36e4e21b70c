// Builds the Fastify app (never listens: main or the tests decide that).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Principal } from '../auth.js';
import type { Metrics } from '../metrics.js';
import { installAuth } from './auth.js';
import type { Registry } from '../registry.js';
import { installErrorHandling } from './error-handler.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { nodeRoutes } from './routes/nodes.js';
import { sdRoutes } from './routes/sd.js';

/** The API's base path. */
export const BASE_PATH = '/api/v1/master';

/** Options of the HTTP app. */
export interface AppOptions {
  registry: Registry;
  logger: Logger;
  logRequests: boolean;
  /** Default target ports of the Prometheus discovery endpoint. */
  sdPorts: readonly number[];
  /** This process's metrics (HTTP request counts) and the text /metrics answers (may merge processes). */
  metrics: Metrics;
  metricsText: () => Promise<string>;
  /** Largest request body accepted; larger ones are answered 413. */
  bodyLimit?: number;
  /** AUTH_MODE=token: resolves bearer tokens. Absent: auth disabled, the original's behaviour. */
  authenticate?: (authorization: string | undefined) => Promise<Principal | null>;
}

/** Builds the app with every route, schema and the error handler. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger.child({ module: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !options.logRequests }),
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: false,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    ajv: {
      // Strict types: nothing is coerced, nothing is removed or defaulted.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false },
    },
  });
  // Bodies are JSON only: any other content type is answered 415 (Fastify also parses text/plain by default).
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app);
  if (options.authenticate) installAuth(app, options.authenticate);
  // Registered first, so its onResponse hook sees every route (fastify-plugin-less hooks are scoped).
  await metricsRoutes(options.metrics, options.metricsText)(app);
  await app.register(healthRoutes(options.registry));
  await app.register(healthRoutes(options.registry), { prefix: BASE_PATH });
  await app.register(nodeRoutes(options.registry, { tokens: options.authenticate !== undefined }), { prefix: BASE_PATH });
  await app.register(sdRoutes(options.registry, options.sdPorts), { prefix: BASE_PATH });
  return app;
}
