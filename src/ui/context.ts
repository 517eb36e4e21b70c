// What the dashboard's plugins share: their options, the viewer of a request, the routes' schemas and the
// way they answer (pages in HTML; errors through the one error handler, edge/errors.ts).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../auth.js';
import type { Clock } from '../clock.js';
import { isNodeIdShape } from '../domain/node.js';
import { ALL_STATUSES, type NodeStatus } from '../domain/status.js';
import type { ErrorPages } from '../edge/errors.js';
import { AppError } from '../errors.js';
import type { EventFeed } from '../events/feed.js';
import type { Nodes } from '../nodes/index.js';
import type { Maintenance } from '../maintenance/windows.js';
import type { Endpoints } from '../notifications/endpoints.js';
import type { Availability } from '../availability/reports.js';
import type { Sessions } from '../sessions.js';
import type { NodeFilter } from '../storage/store.js';
import { filterRequirements, parseSelector, SELECTOR_LIMITS, SelectorError, type Requirement, type Selector } from '../domain/selector.js';
import type { ReadinessCheck } from '../sweeping/readiness.js';
import type { FleetQuery } from './fleet-page.js';
import type { SafeHtml } from './html.js';
import { page, type Viewer } from './layout.js';
import { errorBody } from './login-page.js';

/** The dashboard's options. */
export interface UiOptions {
  nodes: Nodes;
  /** Maintenance windows (SPEC §13). */
  maintenance: Maintenance;
  endpoints: Endpoints;
  /** Availability, capacity and the fleet's history (SPEC §17). */
  availability: Availability;
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

declare module 'fastify' {
  interface FastifyRequest {
    /** Who looks at the dashboard (set by the session plugin; null: not signed in). */
    viewer: Viewer | null;
  }
}

const StringOrList = Type.Union([Type.String({ maxLength: 256 }), Type.Array(Type.String({ maxLength: 256 }), { maxItems: 64 })]);
/** The table's query (every filter and the page cursor are in the URL: shareable). */
export const FleetQuerySchema = Type.Object({
  status: Type.Optional(Type.String()),
  label: Type.Optional(StringOrList),
  q: Type.Optional(Type.String({ maxLength: 256 })),
  selector: Type.Optional(Type.String({ maxLength: SELECTOR_LIMITS.maxBytes })),
  flapping: Type.Optional(Type.String()),
  degraded: Type.Optional(Type.String()),
  maintenance: Type.Optional(Type.String()),
  after: Type.Optional(Type.String({ maxLength: 64 })),
  before: Type.Optional(Type.String({ maxLength: 64 })),
  /** The chart's window (SPEC §17): 24h or 7d. */
  chart: Type.Optional(Type.String({ maxLength: 16 })),
});
export type FleetQuerySchema = Static<typeof FleetQuerySchema>;
/** A node page's `{id}`. */
export const NodeParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export type NodeParams = Static<typeof NodeParams>;

/** A field given once or repeated, as a list. */
export const listOf = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The table's query from the URL; a bad value is a 400 page. */
export function fleetQuery(raw: FleetQuerySchema): FleetQuery {
  const status = raw.status || null;
  if (status !== null && !(ALL_STATUSES as readonly string[]).includes(status)) throw new AppError('BAD_REQUEST', `status must be one of ${ALL_STATUSES.join(', ')}`);
  const after = raw.after || null;
  const before = raw.before || null;
  for (const cursor of [after, before]) if (cursor !== null && !isNodeIdShape(cursor)) throw new AppError('BAD_REQUEST', 'a page cursor must be a node ID');
  const labels = listOf(raw.label).filter((l) => l !== '');
  const selector = (raw.selector ?? '').trim();
  let parsed: Selector;
  try {
    parsed = parseSelector(selector);
  } catch (err) {
    if (err instanceof SelectorError) throw new AppError('BAD_REQUEST', err.message);
    throw err;
  }
  return {
    status: status as NodeStatus | null, labels, q: (raw.q ?? '').trim(), selector, parsed,
    flapping: raw.flapping === 'true', degraded: raw.degraded === 'true', maintenance: raw.maintenance === 'true', after, before,
  };
}

const DEGRADED: Requirement = { kind: 'field', field: 'health', op: 'in', values: ['degraded'] };
const IN_MAINTENANCE: Requirement = { kind: 'flag', flag: 'maintenance', value: true };

/** The store's filter of a table query: its status, label and flag filters and its selector, all required. */
export const filterOf = (fq: FleetQuery): NodeFilter => ({
  selector: [
    ...filterRequirements({ statuses: fq.status ? [fq.status] : [], labels: fq.labels, flapping: fq.flapping ? true : null }),
    ...(fq.degraded ? [DEGRADED] : []),
    ...(fq.maintenance ? [IN_MAINTENANCE] : []),
    ...fq.parsed,
  ],
  q: fq.q || null,
});

/** Sends a page (never cached: it shows the fleet now). */
export const sendHtml = (reply: FastifyReply, body: SafeHtml, status = 200) =>
  reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body.text);

/** Where a browser that is not signed in is sent, to come back to `request`'s page. */
export const signInUrl = (request: FastifyRequest) => `/ui/login?next=${encodeURIComponent(request.url)}`;

/** How the dashboard answers errors (installed with the app's one error handler). */
export function dashboardErrors(clock: Clock): ErrorPages {
  return {
    kind: (request) => (!request.url.startsWith('/ui/') && request.url !== '/ui' ? null : request.url.startsWith('/ui/fragments/') || request.url.startsWith('/ui/stream') ? 'text' : 'page'),
    page: (request, reply, status, message) =>
      sendHtml(reply, page({ title: status === 404 ? 'Not found' : 'Error', viewer: request.viewer ?? null, nowMs: clock.now() }, errorBody(status, message)), status),
    signIn: signInUrl,
  };
}
