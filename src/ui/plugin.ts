// The dashboard (SPEC §10) under /ui: server-rendered pages, htmx and its SSE extension for the live parts,
// every asset served from this package (no CDN: closed networks). Composed of its plugins: assets and
// headers (assets.ts), who is looking (session.ts), the pages (pages.ts), an admin's changes
// (actions.ts), maintenance (maintenance-routes.ts), notifications (notifications-routes.ts) and the change stream (stream.ts). Errors are answered by the app's one error handler
// (edge/errors.ts) with the dashboard's pages (context.ts).
import { parse as parseQueryString } from 'node:querystring';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { checkQueryEncoding } from '../edge/request-text.js';
import { actionRoutes } from './actions.js';
import { maintenanceRoutes } from './maintenance-routes.js';
import { notificationRoutes } from './notifications-routes.js';
import { availabilityRoutes } from './availability-routes.js';
import { assetsPlugin } from './assets.js';
import type { UiOptions } from './context.js';
import { pageRoutes } from './pages.js';
import { sessionPlugin } from './session.js';
import { streamRoutes } from './stream.js';

export { FAVICON_PATH } from './assets.js';
export { dashboardErrors, type UiOptions } from './context.js';
export { SESSION_COOKIE } from './session.js';
export { CHANGE_COALESCE_MS } from './stream.js';

/** Registers the dashboard; mount it with the prefix `/ui`. */
export function uiRoutes(options: UiOptions) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    // The API's token check lets every dashboard route through (assets included: the sign-in page needs
    // them); the dashboard checks its own session (session.ts).
    app.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), access: 'open' };
    });
    await app.register(cookie);
    // Form bodies are held to the query string's rule: percent-encoded bytes must be UTF-8 (a lone
    // surrogate `%ED%A0%80` would otherwise be kept as literal text).
    await app.register(formbody, {
      bodyLimit: 16 * 1024,
      parser: (body) => {
        checkQueryEncoding(`?${body}`);
        return parseQueryString(body);
      },
    });
    await app.register(assetsPlugin);
    await app.register(sessionPlugin, options);
    await pageRoutes(app, options);
    await actionRoutes(app, options);
    await maintenanceRoutes(app, options);
    await notificationRoutes(app, options);
    await availabilityRoutes(app, options);
    await streamRoutes(app, options);
  };
}
