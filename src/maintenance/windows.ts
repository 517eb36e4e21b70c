// Maintenance windows as people make them (SPEC §13): create one for a selector and/or listed nodes with
// a reason and an end, list, read, change its reason or end, end it early. Used alike by the API, the
// dashboard and the command line. Bad input is a 400 that says what was expected, an unknown window a
// 404; nothing is stored then. The sweeping side applies the windows' times (sweeping/maintenance.ts).
import type { Clock } from '../clock.js';
import { MAX_WINDOW_MS, windowState, type MaintenanceWindow, type WindowState } from '../domain/maintenance.js';
import { isNodeIdShape } from '../domain/node.js';
import { parseSelector, SelectorError, type Selector } from '../domain/selector.js';
import { parseRfc3339 } from '../domain/time.js';
import { AppError } from '../errors.js';
import type { NodeStore } from '../storage/store.js';

/** A window as requested (the API's body). */
export interface WindowRequest {
  selector?: string;
  nodes?: string[];
  reason: string;
  starts_at?: string;
  ends_at?: string;
  duration_seconds?: number;
}

/** A change of a window as requested. */
export interface WindowPatch {
  reason?: string;
  ends_at?: string;
}

/** A window with what it covers now. */
export interface ShownWindow {
  window: MaintenanceWindow;
  matched: number;
}

/** The use cases. */
export interface Maintenance {
  create(request: WindowRequest, actor: string): Promise<ShownWindow>;
  list(state?: WindowState): Promise<ShownWindow[]>;
  get(id: string): Promise<ShownWindow>;
  change(id: string, patch: WindowPatch): Promise<ShownWindow>;
  /** Ends an active window now; cancels a scheduled one; an ended one is answered as it is. */
  end(id: string): Promise<ShownWindow>;
}

/** At most this many nodes listed in one window, and this long a reason. */
export const WINDOW_LIMITS = { maxNodes: 1_000, maxReason: 1_024 } as const;

const bad = (message: string) => new AppError('BAD_REQUEST', `invalid request: ${message}`);
const notFound = (id: string) => new AppError('NOT_FOUND', `maintenance window ${id} not found`);

function selectorOf(text: string): Selector {
  try {
    return parseSelector(text);
  } catch (err) {
    if (err instanceof SelectorError) throw bad(`selector: ${err.message}`);
    throw err;
  }
}

function timeOf(field: string, text: string): number {
  const ms = parseRfc3339(text);
  if (ms === undefined) throw bad(`${field} must be an RFC 3339 date-time such as 2026-12-07T14:00:00Z`);
  return ms;
}

function reasonOf(reason: string): string {
  const r = reason.trim();
  if (r === '') throw bad('reason must say why (a non-empty string)');
  if (r.length > WINDOW_LIMITS.maxReason) throw bad(`reason must be at most ${WINDOW_LIMITS.maxReason} characters`);
  return r;
}

/** The end of a window starting at `startsAtMs`: after its start, after now, at most 30 days long. */
function checkedEnd(startsAtMs: number, endsAtMs: number, nowMs: number): number {
  if (endsAtMs <= startsAtMs) throw bad('the window must end after it starts');
  if (endsAtMs <= nowMs) throw bad('the window must end in the future');
  if (endsAtMs - startsAtMs > MAX_WINDOW_MS) throw bad('a window lasts at most 30 days (2592000 seconds)');
  return endsAtMs;
}

/** The start and end of a request: `starts_at` (default now) and exactly one of `ends_at`, `duration_seconds`. */
function timesOf(r: WindowRequest, nowMs: number): { startsAtMs: number; endsAtMs: number } {
  const startsAtMs = r.starts_at === undefined ? nowMs : timeOf('starts_at', r.starts_at);
  if (r.ends_at !== undefined && r.duration_seconds !== undefined) throw bad('give ends_at or duration_seconds, not both');
  if (r.ends_at === undefined && r.duration_seconds === undefined) throw bad('a window needs an end: ends_at or duration_seconds');
  if (r.duration_seconds !== undefined && !(Number.isFinite(r.duration_seconds) && r.duration_seconds > 0)) throw bad('duration_seconds must be a positive number');
  const endsAtMs = r.ends_at !== undefined ? timeOf('ends_at', r.ends_at) : startsAtMs + Math.round(r.duration_seconds! * 1000);
  return { startsAtMs, endsAtMs: checkedEnd(startsAtMs, endsAtMs, nowMs) };
}

/** Creates the use cases over a store. */
export function createMaintenance(deps: { store: NodeStore; clock: Clock }): Maintenance {
  const { store, clock } = deps;
  const shown = async (window: MaintenanceWindow): Promise<ShownWindow> => ({
    window,
    matched: windowState(window, clock.now()) === 'ended' ? window.matched : await store.windowCoverage(window),
  });
  const found = async (id: string) => {
    const w = /^M[0-9]{1,15}$/.test(id) ? await store.window(id) : null;
    if (!w) throw notFound(id);
    return w;
  };
  return {
    async create(r, actor) {
      const nowMs = clock.now();
      const selectorText = (r.selector ?? '').trim();
      const selector = selectorOf(selectorText);
      const nodes = [...new Set(r.nodes ?? [])];
      if (nodes.length > WINDOW_LIMITS.maxNodes) throw bad(`nodes: at most ${WINDOW_LIMITS.maxNodes} IDs`);
      const badId = nodes.find((id) => !isNodeIdShape(id));
      if (badId !== undefined) throw bad(`nodes: ${JSON.stringify(badId)} is not a node ID`);
      if (selectorText === '' && nodes.length === 0) throw bad('a window needs a selector or nodes (or both: it covers either)');
      const times = timesOf(r, nowMs);
      return shown(await store.createWindow({ selectorText, selector, nodes, reason: reasonOf(r.reason), actor, ...times }, nowMs));
    },
    async list(state) {
      const nowMs = clock.now();
      const all = await store.windows();
      return Promise.all(all.filter((w) => state === undefined || windowState(w, nowMs) === state).map(shown));
    },
    get: async (id) => shown(await found(id)),
    async change(id, patch) {
      const nowMs = clock.now();
      const w = await found(id);
      if (windowState(w, nowMs) === 'ended') throw new AppError('CONFLICT', `maintenance window ${id} has ended; make a new one`);
      if (patch.reason === undefined && patch.ends_at === undefined) throw bad('give reason and/or ends_at');
      const endsAtMs = patch.ends_at === undefined ? undefined : checkedEnd(w.startsAtMs, timeOf('ends_at', patch.ends_at), nowMs);
      const changed = await store.changeWindow(id, { reason: patch.reason === undefined ? undefined : reasonOf(patch.reason), endsAtMs }, nowMs);
      return shown(changed ?? (await found(id)));
    },
    async end(id) {
      await found(id);
      const ended = await store.changeWindow(id, { end: true }, clock.now());
      return shown(ended ?? (await found(id)));
    },
  };
}
