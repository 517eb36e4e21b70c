// Who looks at the dashboard. Guarantees: in token mode every page, fragment and stream needs the admin or
// read token — from a session (sessions.ts: the HttpOnly, SameSite=Strict cookie holds a random id, never
// a token) or an Authorization header; only the admin token may change anything; every state-changing
// request must come from this origin (its Origin header). With auth disabled the dashboard is open.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sameOrigin } from '../edge/origin.js';
import { AppError, forbidden } from '../errors.js';
import { SESSION_TTL_MS } from '../sessions.js';
import { sendHtml, signInUrl, type UiOptions } from './context.js';
import { page, type Viewer } from './layout.js';
import { loginBody } from './login-page.js';

/** The cookie that holds the session id in token mode. */
export const SESSION_COOKIE = 'argus_session';

const LoginQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2048 })) });
const LoginForm = Type.Object({ token: Type.Optional(Type.String({ maxLength: 4096 })), next: Type.Optional(Type.String({ maxLength: 2048 })) });

/**
 * `next` of the sign-in page: a path of the dashboard only (never another site), in printable ASCII
 * without a backslash (a Location header cannot carry a NUL, CR LF or U+2028; the dashboard's own
 * links are percent-encoded); anything else leads to /ui/.
 */
const safeNext = (next: string | undefined) => (next && /^\/ui(\/[!-[\]-~]*)?$/.test(next) ? next : '/ui/');

/** Whether the browser reached us over HTTPS (directly, or through a proxy that says so). */
const overHttps = (request: FastifyRequest) => request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';

/** The viewer of a page: not signed in, the browser is sent to the sign-in page. */
export function viewerOrSignIn(request: FastifyRequest, reply: FastifyReply): Viewer | null {
  if (request.viewer) return request.viewer;
  void reply.redirect(signInUrl(request), 303);
  return null;
}

/** The viewer of a fragment or stream: not signed in, 401. */
export function mustView(request: FastifyRequest): Viewer {
  if (!request.viewer) throw new AppError('UNAUTHORIZED', 'sign in to the dashboard first (/ui/login)');
  return request.viewer;
}

/** An admin's state-changing request from this origin. */
export function mustChange(request: FastifyRequest): Viewer {
  if (!sameOrigin(request)) throw forbidden('cross-origin request refused: the Origin header must name this master');
  const viewer = mustView(request);
  if (!viewer.admin) throw forbidden('only the admin token may change the fleet; the read token may look');
  return viewer;
}

/** The session plugin: every dashboard request learns its viewer; sign-in and sign-out. */
export const sessionPlugin = fp(async function plugin(app: FastifyInstance, options: UiOptions) {
  const { authenticate, sessions, clock } = options;
  app.decorateRequest('viewer', null);
  app.addHook('onRequest', async (request) => {
    if (!authenticate) {
      request.viewer = { admin: true, signedIn: false, kind: null };
      return;
    }
    const session = request.cookies[SESSION_COOKIE];
    const kind = request.headers.authorization ? (await authenticate(request.headers.authorization))?.kind : session ? await sessions?.resolve(session) : null;
    if (kind === 'admin' || kind === 'read') request.viewer = { admin: kind === 'admin', signedIn: true, kind };
  });
  const signInPage = (reply: FastifyReply, next: string, message: string | null) =>
    sendHtml(reply, page({ title: 'Sign in', viewer: null, nowMs: clock.now() }, loginBody(next, message)), message ? 401 : 200);

  app.get<{ Querystring: Static<typeof LoginQuery> }>('/login', { schema: { querystring: LoginQuery, hide: true } }, async (request, reply) => {
    const next = safeNext(request.query.next);
    if (!authenticate || request.viewer) return reply.redirect(next, 303);
    return signInPage(reply, next, null);
  });

  app.post<{ Body: Static<typeof LoginForm> }>('/login', { schema: { body: LoginForm, hide: true } }, async (request, reply) => {
    if (!sameOrigin(request)) throw forbidden('cross-origin request refused: the Origin header must name this master');
    const next = safeNext(request.body?.next);
    if (!authenticate) return reply.redirect(next, 303);
    const token = (request.body?.token ?? '').trim();
    const usable = token !== '' && token.length <= 1024 && !/\s/.test(token);
    const session = usable && sessions ? await sessions.open(token) : null;
    if (!session) {
      const principal = usable ? await authenticate(`Bearer ${token}`) : null;
      return signInPage(reply, next, principal ? 'This token cannot open the dashboard: sign in with the admin token or the read token.' : 'This token is not valid.');
    }
    void reply.setCookie(SESSION_COOKIE, session.id, { path: '/ui', httpOnly: true, sameSite: 'strict', secure: overHttps(request), maxAge: SESSION_TTL_MS / 1000 });
    return reply.redirect(next, 303);
  });

  app.post('/logout', { schema: { hide: true } }, async (request, reply) => {
    if (!sameOrigin(request)) throw forbidden('cross-origin request refused: the Origin header must name this master');
    // The session ends for good: a copy of the cookie opens nothing after this.
    const session = request.cookies[SESSION_COOKIE];
    if (session) await sessions?.close(session);
    void reply.clearCookie(SESSION_COOKIE, { path: '/ui' });
    return reply.redirect(authenticate ? '/ui/login' : '/ui/', 303);
  });
}, { name: 'argus-ui-session' });
