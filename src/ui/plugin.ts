// The dashboard (SPEC §10) as one Fastify plugin under /ui: server-rendered pages, htmx and its SSE
// extension for the live parts, every asset served from this package (no CDN: closed networks).
// Guarantees: in token mode every page, fragment and stream needs the admin or read token (from the
// HttpOnly, SameSite=Strict cookie set by the sign-in page, or an Authorization header); only the admin
// token may change anything; every state-changing request must come from this origin (its Origin
// header); pages are sent with a Content-Security-Policy that allows this origin's scripts and styles
// only. With auth disabled the dashboard is open, like the API.
import { createRequire } from 'node:module';
import { parse as parseQueryString } from 'node:querystring';
import { dirname, join } from 'node:path';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth.js';
import { SESSION_TTL_MS, type Sessions } from '../sessions.js';
import type { Clock } from '../clock.js';
import { labelProblem } from '../domain/labels.js';
import { isNodeIdShape } from '../domain/node.js';
import { ALL_STATUSES, type NodeStatus } from '../domain/status.js';
import { AppError, forbidden, nodeNotFound } from '../errors.js';
import type { EventFeed } from '../events/feed.js';
import { answerOf } from '../http/error-handler.js';
import { checkQueryEncoding } from '../http/json-body.js';
import { sameOrigin } from '../http/origin.js';
import { streamSet, tooManyStreams } from '../http/sse.js';
import type { Nodes } from '../nodes/index.js';
import type { ReadinessCheck } from '../sweeping/readiness.js';
import type { NodeFilter } from '../storage/store.js';
import { fleetBody, fleetRegion, PAGE_SIZE, type FleetQuery, type FleetView } from './fleet-page.js';
import { html, type SafeHtml } from './html.js';
import { page, type Viewer } from './layout.js';
import { errorBody, loginBody } from './login-page.js';
import { HISTORY_EVENTS, nodeBody, nodeRegion, type NodeView } from './node-page.js';

/** The cookie that holds the session id in token mode (sessions.ts: never a token). */
export const SESSION_COOKIE = 'argus_session';
/** A change is announced at most this often per stream (a burst of 100,000 events is one refresh). */
export const CHANGE_COALESCE_MS = 300;

export interface UiOptions {
  nodes: Nodes;
  readiness: ReadinessCheck;
  feed: EventFeed;
  clock: Clock;
  /** Token mode: resolves an Authorization header value. Absent: auth disabled. */
  authenticate?: (authorization: string | undefined) => Promise<Principal | null>;
  /** Token mode: the sign-in sessions (required with `authenticate`). */
  sessions?: Sessions;
  /** Open change streams of this process (argus_master_event_stream_clients). */
  onClients: (n: number) => void;
  /** Streams this process may have open at once (its share of MAX_STREAMS, the API's included). */
  maxStreams?: number;
}

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

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

declare module 'fastify' {
  interface FastifyRequest {
    /** Who looks at the dashboard (set by the UI plugin's hook; null: not signed in). */
    viewer: Viewer | null;
  }
}

/** A query or form field's values (repeated fields are arrays); anything else is no value. */
const listOf = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const one = (v: unknown): string | undefined => listOf(v)[0];

/** The table's query from the URL; a bad value is a 400 page. */
function fleetQuery(raw: Record<string, unknown>): FleetQuery {
  const status = one(raw.status) || null;
  if (status !== null && !(ALL_STATUSES as readonly string[]).includes(status)) throw new AppError('BAD_REQUEST', `status must be one of ${ALL_STATUSES.join(', ')}`);
  const after = one(raw.after) || null;
  const before = one(raw.before) || null;
  for (const cursor of [after, before]) if (cursor !== null && !isNodeIdShape(cursor)) throw new AppError('BAD_REQUEST', 'a page cursor must be a node ID');
  const labels = listOf(raw.label).filter((l) => l !== '');
  const q = (one(raw.q) ?? '').trim();
  if (q.length > 256 || labels.some((l) => l.length > 256)) throw new AppError('BAD_REQUEST', 'a search or label is at most 256 characters');
  return { status: status as NodeStatus | null, labels, q, flapping: one(raw.flapping) === 'true', after, before };
}

const filterOf = (fq: FleetQuery): NodeFilter => ({ statuses: fq.status ? [fq.status] : [], labels: fq.labels, q: fq.q || null, flapping: fq.flapping ? true : null });

/**
 * `next` of the sign-in page: a path of the dashboard only (never another site), in printable ASCII
 * without a backslash (a Location header cannot carry a NUL, CR LF or U+2028; the dashboard's own
 * links are percent-encoded); anything else leads to /ui/.
 */
const safeNext = (next: string | undefined) => (next && /^\/ui(\/[!-[\]-~]*)?$/.test(next) ? next : '/ui/');

/** Whether the browser reached us over HTTPS (directly, or through a proxy that says so). */
const overHttps = (request: FastifyRequest) => request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';

const sendHtml = (reply: FastifyReply, body: SafeHtml, status = 200) =>
  reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body.text);

/** The icon browsers ask for at /favicon.ico (any page of the master, the API's JSON included). */
export const FAVICON_PATH = join(ASSET_DIRS.own, 'favicon.ico');

/** Registers the dashboard; mount it with the prefix `/ui`. */
export function uiRoutes(options: UiOptions) {
  const { nodes, readiness, feed, clock, authenticate } = options;
  return async function plugin(app: FastifyInstance): Promise<void> {
    // The API's token check lets every dashboard route through (assets included: the sign-in page needs
    // them); the dashboard checks its own cookie below.
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
    await app.register(fastifyStatic, {
      root: [...new Set(Object.values(ASSETS))],
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      // Only the files the pages use (the folders hold other files: the server's own code among them).
      allowedPath: (pathName) => Object.hasOwn(ASSETS, pathName.slice(1)),
      cacheControl: true,
      maxAge: 0,
    });

    app.decorateRequest('viewer', null);
    app.addHook('onRequest', async (request) => {
      if (!authenticate) {
        request.viewer = { admin: true, signedIn: false, kind: null };
        return;
      }
      const session = request.cookies[SESSION_COOKIE];
      const kind = request.headers.authorization ? (await authenticate(request.headers.authorization))?.kind : session ? await options.sessions?.resolve(session) : null;
      if (kind === 'admin' || kind === 'read') request.viewer = { admin: kind === 'admin', signedIn: true, kind };
    });
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', CSP);
      // CSP's frame-ancestors for today's browsers, this for older ones: no page of the dashboard in a frame.
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'same-origin');
      return payload;
    });

    /** The viewer of a page: not signed in, the browser is sent to the sign-in page. */
    const viewerOrSignIn = (request: FastifyRequest, reply: FastifyReply): Viewer | null => {
      if (request.viewer) return request.viewer;
      void reply.redirect(`/ui/login?next=${encodeURIComponent(request.url)}`, 303);
      return null;
    };
    /** The viewer of a fragment or stream: not signed in, 401. */
    const mustView = (request: FastifyRequest): Viewer => {
      if (!request.viewer) throw new AppError('UNAUTHORIZED', 'sign in to the dashboard first (/ui/login)');
      return request.viewer;
    };
    /** An admin's state-changing request from this origin. */
    const mustChange = (request: FastifyRequest): Viewer => {
      if (!sameOrigin(request)) throw forbidden('cross-origin request refused: the Origin header must name this master');
      const viewer = mustView(request);
      if (!viewer.admin) throw forbidden('only the admin token may change the fleet; the read token may look');
      return viewer;
    };

    const fleetView = async (query: FleetQuery, viewer: Viewer): Promise<FleetView> => {
      const filter = filterOf(query);
      const cursor = query.before ? { before: query.before } : { after: query.after };
      const [statistics, flapping, brake, ready, pageOfNodes] = await Promise.all([
        nodes.statistics(),
        nodes.statistics({ statuses: [], labels: [], q: null, flapping: true }),
        nodes.brake(),
        readiness(),
        nodes.browse(filter, cursor, PAGE_SIZE),
      ]);
      return { query, statistics, flapping: flapping.total, brake, readiness: ready, page: pageOfNodes, viewer, nowMs: clock.now() };
    };
    const nodeView = async (id: string, viewer: Viewer, notice?: NodeView['notice']): Promise<NodeView> => {
      const node = await nodes.get(id);
      const events = await nodes.nodeEvents(id, null, HISTORY_EVENTS);
      return { node, events, viewer, nowMs: clock.now(), ...(notice ? { notice } : {}) };
    };
    const lastEventId = async () => (await nodes.eventBounds()).last;

    app.get('/', async (request, reply) => {
      const viewer = viewerOrSignIn(request, reply);
      if (!viewer) return reply;
      const query = fleetQuery(request.query as Record<string, unknown>);
      const [view, last] = await Promise.all([fleetView(query, viewer), lastEventId()]);
      return sendHtml(reply, page({ title: 'Fleet', viewer, nowMs: view.nowMs, stream: `/ui/stream?after=${last}` }, fleetBody(view)));
    });

    app.get('/fragments/fleet', async (request, reply) => {
      const view = await fleetView(fleetQuery(request.query as Record<string, unknown>), mustView(request));
      return sendHtml(reply, fleetRegion(view));
    });

    app.get<{ Params: { id: string } }>('/nodes/:id', async (request, reply) => {
      const viewer = viewerOrSignIn(request, reply);
      if (!viewer) return reply;
      const saved = (request.query as Record<string, unknown>).saved === 'labels';
      const [view, last] = await Promise.all([nodeView(request.params.id, viewer, saved ? { error: false, text: 'Labels saved.' } : undefined), lastEventId()]);
      const stream = `/ui/stream?after=${last}&node=${encodeURIComponent(view.node.id)}`;
      return sendHtml(reply, page({ title: `Node ${view.node.id}`, viewer, nowMs: view.nowMs, stream }, nodeBody(view)));
    });

    app.get<{ Params: { id: string } }>('/fragments/nodes/:id', async (request, reply) => {
      const viewer = mustView(request);
      try {
        return sendHtml(reply, nodeRegion(await nodeView(request.params.id, viewer)));
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'NODE_NOT_FOUND')) throw err;
        // Deregistered while the page was open: the region says so and stops following the stream.
        return sendHtml(reply, html`<div id="node"><p class="notice error" role="alert">Node ${request.params.id} was deregistered.</p></div>`);
      }
    });

    app.post<{ Params: { id: string }; Body: Record<string, unknown> }>('/nodes/:id/labels', async (request, reply) => {
      const viewer = mustChange(request);
      const text = one(request.body?.labels) ?? '';
      const labels = [...new Set(text.split(',').map((l) => l.trim()).filter((l) => l !== ''))];
      const id = request.params.id;
      // The use case holds the rules (domain/labels.ts); here they are said on the page.
      const problem = labelProblem(labels);
      if (problem !== null) {
        const view = await nodeView(id, viewer, { error: true, text: `Labels not saved: ${problem.replace(/^label\/(\d+)/, (_m, i: string) => `label ${Number(i) + 1}`)}.` });
        return sendHtml(reply, page({ title: `Node ${id}`, viewer, nowMs: view.nowMs }, nodeBody(view)), 400);
      }
      await nodes.configure(id, { label: labels });
      return reply.redirect(`/ui/nodes/${encodeURIComponent(id)}?saved=labels`, 303);
    });

    app.post<{ Params: { id: string }; Body: Record<string, unknown> }>('/nodes/:id/deregister', async (request, reply) => {
      const viewer = mustChange(request);
      const id = request.params.id;
      if (one(request.body?.confirm) !== 'yes') {
        const view = await nodeView(id, viewer, { error: true, text: 'Tick the box to confirm the deregistration.' });
        return sendHtml(reply, page({ title: `Node ${id}`, viewer, nowMs: view.nowMs }, nodeBody(view)), 400);
      }
      await nodes.deregister(id);
      return reply.redirect('/ui/', 303);
    });

    app.post('/brake/release', async (request, reply) => {
      mustChange(request);
      await nodes.releaseBrake();
      return reply.redirect('/ui/', 303);
    });

    app.get('/login', async (request, reply) => {
      const next = safeNext(one((request.query as Record<string, unknown>).next));
      if (!authenticate || request.viewer) return reply.redirect(next, 303);
      return sendHtml(reply, page({ title: 'Sign in', viewer: null, nowMs: clock.now() }, loginBody(next, null)));
    });

    app.post<{ Body: Record<string, unknown> }>('/login', async (request, reply) => {
      if (!sameOrigin(request)) throw forbidden('cross-origin request refused: the Origin header must name this master');
      const next = safeNext(one(request.body?.next));
      if (!authenticate) return reply.redirect(next, 303);
      const token = (one(request.body?.token) ?? '').trim();
      const usable = token !== '' && token.length <= 1024 && !/\s/.test(token);
      const session = usable && options.sessions ? await options.sessions.open(token) : null;
      if (!session) {
        const principal = usable ? await authenticate(`Bearer ${token}`) : null;
        const message = principal ? 'This token cannot open the dashboard: sign in with the admin token or the read token.' : 'This token is not valid.';
        return sendHtml(reply, page({ title: 'Sign in', viewer: null, nowMs: clock.now() }, loginBody(next, message)), 401);
      }
      void reply.setCookie(SESSION_COOKIE, session.id, { path: '/ui', httpOnly: true, sameSite: 'strict', secure: overHttps(request), maxAge: SESSION_TTL_MS / 1000 });
      return reply.redirect(next, 303);
    });

    app.post('/logout', async (request, reply) => {
      if (!sameOrigin(request)) throw forbidden('cross-origin request refused: the Origin header must name this master');
      // The session ends for good: a copy of the cookie opens nothing after this.
      const session = request.cookies[SESSION_COOKIE];
      if (session) await options.sessions?.close(session);
      void reply.clearCookie(SESSION_COOKIE, { path: '/ui' });
      return reply.redirect(authenticate ? '/ui/login' : '/ui/', 303);
    });

    // The change stream of a page: `change` when the fleet (or the one node) changed after `after`,
    // at most once per CHANGE_COALESCE_MS; the page then fetches its live region again.
    const streams = streamSet();
    app.addHook('preClose', async () => streams.endAll());
    app.get('/stream', { config: { stream: true } }, async (request, reply) => {
      mustView(request);
      const maxStreams = options.maxStreams ?? Infinity;
      if (feed.size() >= maxStreams) return tooManyStreams(reply, maxStreams);
      const raw = request.query as Record<string, unknown>;
      const afterText = one(raw.after);
      const after = afterText !== undefined && /^\d{1,15}$/.test(afterText) ? Number(afterText) : await lastEventId();
      const node = one(raw.node);
      if (node !== undefined && !isNodeIdShape(node)) throw nodeNotFound(node);
      let timer: NodeJS.Timeout | null = null;
      let stop = () => {};
      const stream = streams.open(reply, 'argus-master dashboard changes', () => {
        if (timer) clearTimeout(timer);
        stop();
        options.onClients(feed.size());
      });
      if (!stream) return reply; // HEAD, or the browser is gone
      const changed = () => {
        timer ??= setTimeout(() => {
          timer = null;
          void stream.write('event: change\ndata: {}\n\n');
        }, CHANGE_COALESCE_MS);
      };
      stop = node === undefined
        ? feed.watch(after, changed)
        : feed.subscribe({ after, types: [], nodeIds: [node], send: async () => changed(), reset: async () => changed() });
      options.onClients(feed.size());
    });

    app.setErrorHandler((err: FastifyError | AppError, request, reply) => {
      const answer = answerOf(err, request.headers['content-type']);
      if (answer.internal) request.failure = err;
      if (err instanceof AppError && err.code === 'UNAUTHORIZED' && request.method === 'GET' && !request.url.startsWith('/ui/fragments/') && !request.url.startsWith('/ui/stream')) {
        return reply.redirect(`/ui/login?next=${encodeURIComponent(request.url)}`, 303);
      }
      const message = String(answer.body.error);
      if (request.url.startsWith('/ui/fragments/') || request.url.startsWith('/ui/stream')) return reply.code(answer.status).type('text/plain; charset=utf-8').send(message);
      return sendHtml(reply, page({ title: 'Error', viewer: request.viewer, nowMs: clock.now() }, errorBody(answer.status, message)), answer.status);
    });
    app.setNotFoundHandler((request, reply) =>
      sendHtml(reply, page({ title: 'Not found', viewer: request.viewer, nowMs: clock.now() }, errorBody(404, `There is no page ${request.url.split('?')[0]}.`)), 404),
    );
  };
}
