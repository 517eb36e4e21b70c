// The dashboard's assets and the headers of every dashboard answer. Guarantees: every asset is served
// from this package (ours, htmx and its SSE extension, the shared format.js): no request leaves the
// master, so the dashboard works in a closed network; only the listed files are served from those
// folders (they hold other files: the server's own code among them); every answer carries a
// Content-Security-Policy allowing this origin's scripts and styles only, and is kept out of frames.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const require = createRequire(import.meta.url);
/** Where each served asset lives: ours (ui/assets), htmx and its SSE extension (npm), format.js (built from src/ui/format.ts). */
const ASSET_DIRS = {
  own: join(import.meta.dirname, '..', '..', 'ui', 'assets'),
  htmx: dirname(require.resolve('htmx.org/dist/htmx.min.js')),
  sse: dirname(require.resolve('htmx-ext-sse/dist/sse.js')),
  // dist/ui (from src/ui under tsx as well: the tests run after the build).
  shared: join(import.meta.dirname, '..', '..', 'dist', 'ui'),
};
const ASSETS: Record<string, string> = {
  'app.css': ASSET_DIRS.own,
  'app.js': ASSET_DIRS.own,
  'favicon.svg': ASSET_DIRS.own,
  'favicon.ico': ASSET_DIRS.own,
  'htmx.min.js': ASSET_DIRS.htmx,
  'sse.js': ASSET_DIRS.sse,
  'format.js': ASSET_DIRS.shared,
};

/** The icon browsers ask for at /favicon.ico (any page of the master, the API's JSON included). */
export const FAVICON_PATH = join(ASSET_DIRS.own, 'favicon.ico');

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The assets under `/assets/` and the headers of every dashboard answer. */
export const assetsPlugin = fp(async function plugin(app: FastifyInstance) {
  await app.register(fastifyStatic, {
    root: [...new Set(Object.values(ASSETS))],
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    allowedPath: (pathName) => Object.hasOwn(ASSETS, pathName.slice(1)),
    cacheControl: true,
    maxAge: 0,
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', CSP);
    // CSP's frame-ancestors for today's browsers, this for older ones: no page of the dashboard in a frame.
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    return payload;
  });
}, { name: 'argus-ui-assets' });
