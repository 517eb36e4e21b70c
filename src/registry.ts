// The registry: every use case of the master (register, report, configure, query, sweep). Status
// transitions follow the domain's rules: on a report through `statusOf`; in a sweep through the
// cut-offs of `sweepCutoffs`, which the store applies in SQL (the contract suite holds the two equal),
// after this module's restart grace and mass-offline brake have decided what may go offline.
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { isNodeIdShape, type JsonObject, type NodeRecord, type RegistrationInput, type StatusCount, type StatusTransition } from './domain/node.js';
import { labelProblem } from './domain/labels.js';
import { checkObjectLimits } from './limits.js';
import { rfc3339 } from './domain/time.js';
import type { Metrics } from './metrics.js';
import type { NodeStatus} from './domain/status.js';
import { statusOf, sweepCutoffs, type Thresholds } from './domain/status.js';
import { newNodeToken, type Principal } from './auth.js';
import { AppError, eventsPruned, forbidden, nameMismatch, nodeNotFound } from './errors.js';
import { EventType, type StoredEvent } from './domain/events.js';
import type { WritesFailing } from './storage/health.js';
import { isFlapTransition, recordFlapTransition, type FlapSettings } from './domain/flapping.js';
import { decideSweep, needsPreview, type HoldState, type OfflineBrake, type SweepPolicy } from './domain/sweep-policy.js';
import { createVersionCache } from './storage/core/version-cache.js';
import type { NodeFilter, NodePage, NodeStore, PageCursor, RecordPage, TargetGroupsDocument, TargetGroupsQuery } from './storage/store.js';
import { sha1Of } from './hash.js';
import { SESSION_PREFIX } from './sessions.js';

/** A validated status report. */
export interface StatusReport {
  agentTimestampMs: number;
  health: JsonObject;
}

/** A validated config update: either or both fields. */
export interface ConfigUpdate {
  config?: JsonObject;
  label?: string[];
}

/** A sweep chunk of at most this many transitions is logged a line per node; a larger one in one line. */
const SWEEP_LINES_PER_NODE_UP_TO = 20;

/** The sweeper's heartbeat, written after every sweep into shared state (all workers read it). */
export interface SweeperHeartbeat {
  sweptAtMs: number;
  intervalMs: number;
  publishErrors: Array<{ file: string; error: string }>;
  brakeHeld: number;
}

/** The storage key of the heartbeat. */
export const HEARTBEAT_KEY = 'sweeper';
/** The storage keys of the brake's state (written by the sweeper) and of an admin's release request. */
export const BRAKE_KEY = 'brake';
export const BRAKE_RELEASE_KEY = 'brake-release';

/** The brake as GET /brake shows it (SPEC §9.4). */
export interface BrakeState {
  state: 'released' | 'holding';
  held: number;
  since: string | null;
  releases_at: string | null;
}

/**
 * A problem that does not stop the API. `message` has the details (paths, errors) for authenticated
 * callers; `summary` is what an unauthenticated caller sees in token mode.
 */
export interface Warning {
  message: string;
  summary: string;
}

/** The readiness answer. */
export type Readiness = { ready: true; warnings: Warning[] } | { ready: false; error: string; warnings: Warning[] };

/** The statistics answer. */
export interface Statistics {
  total: number;
  status_statistics: StatusCount[];
}

/** Dependencies of the registry. */
export interface RegistryDeps {
  store: NodeStore;
  clock: Clock;
  thresholds: Thresholds;
  idPrefix: string;
  logger: Logger;
  metrics?: Pick<Metrics, 'statusTransitions' | 'registrations' | 'statusReports' | 'sdInvalidHosts' | 'eventsWritten' | 'eventsPruned' | 'brakeHeld'>;
  /** Flapping detection (SPEC §9.3); absent: off. */
  flap?: FlapSettings;
  /** Garbage collection (SPEC §9.1): nodes offline or never reporting for longer than this go; 0/absent: off. */
  gcAfterMs?: number;
  /** Event retention (SPEC §8.1); absent: events are kept. */
  eventRetention?: { maxAgeMs: number; maxPerNode: number };
  /** The mass-offline brake (null or absent: off). */
  offlineBrake?: OfflineBrake | null;
  /** Writes failing in this process or another one of this master (storage/health.ts). */
  writesFailing?: () => WritesFailing[];
  /**
   * Several masters (PostgreSQL): since when (this clock's ms) agents have had a master to report to
   * without a break, as the masters record it (null: none serves). The restart grace then runs one offline
   * threshold from that moment, whichever master served (SPEC §11: not on a failover); without it, from
   * this master's `serving` and after a gap in the sweeper's heartbeat.
   */
  servedSince?: () => Promise<number | null>;
}

export type { OfflineBrake } from './domain/sweep-policy.js';

/** What the last sweep held back, for readiness and metrics. */
export interface SweepHold {
  /** Offline transitions held by the brake (0: not engaged). */
  brakeHeld: number;
  /** True while the restart grace holds every offline transition. */
  restartGrace: boolean;
}

/** The registry's use cases. */
export interface Registry {
  /**
   * Registers (SPEC §2). With `principal` (AUTH_MODE=token): the enrollment token may only create nodes,
   * a node token may only re-register its own node, the admin may do both; a new node gets a token,
   * returned here only.
   */
  register(input: RegistrationInput, principal?: Principal): Promise<{ created: boolean; node: NodeRecord; token?: string }>;
  /** Issues a new token for a node (the old one stops working at once). */
  rotateToken(id: string): Promise<string>;
  report(id: string, report: StatusReport): Promise<NodeRecord>;
  configure(id: string, update: ConfigUpdate): Promise<NodeRecord>;
  get(id: string): Promise<NodeRecord>;
  /** Every node's summary, ordered by ID number, as the JSON document of GET /nodes (UTF-8). */
  listDocument(): Promise<Buffer>;
  /** A keyset page of the nodes matching a filter (SPEC §9.5). */
  listPage(filter: NodeFilter, after: string | null, limit: number): Promise<NodePage>;
  /** A page of full records (the dashboard's table), forwards or backwards. */
  browse(filter: NodeFilter, cursor: PageCursor, limit: number): Promise<RecordPage>;
  /**
   * Prometheus target groups of the nodes a query selects, as a JSON array in UTF-8 parts, with its
   * ETag; cached per query until the fleet changes (identical polls share one build).
   */
  targetGroups(query: TargetGroupsQuery): Promise<DiscoveryDocument>;
  /** The target groups of the online nodes for the file_sd file (not cached: the publisher keeps a digest). */
  fileSdDocument(ports: readonly number[]): Promise<TargetGroupsDocument>;
  /** Counts per status, of every node or of those matching `filter`. */
  statistics(filter?: NodeFilter): Promise<Statistics>;
  /**
   * One status sweep at the clock's now; logs the transitions it made and returns them, or none with
   * `collect: false` (the scheduler: a sweep of a million nodes would otherwise keep a million objects
   * alive until it ends). Offline transitions are held during the restart grace (the offline threshold
   * since this registry was created, or since `serving` if later) and by the mass-offline brake.
   */
  sweep(options?: { collect?: boolean }): Promise<StatusTransition[]>;
  /**
   * Tells the registry that this master now answers reports (its HTTP side listens): the restart grace
   * lasts one offline threshold from now, so a slow start-up does not eat the agents' time to report.
   */
  serving(): void;
  /** What the last sweep held back. */
  held(): SweepHold;
  /** The mass-offline brake's state, as the sweeping process last recorded it. */
  brake(): Promise<BrakeState>;
  /** Asks the sweeping process to let the held transitions through at its next sweep. */
  releaseBrake(): Promise<BrakeState>;
  /** Removes a node (SPEC §9.1); returns it as it was; 404 for an unknown node. */
  deregister(id: string): Promise<NodeRecord>;
  /** Events after `after` (null: from the oldest retained), filtered; 410 when events after it were pruned. */
  events(query: { after: number | null; limit: number; types: readonly EventType[]; nodeIds: readonly string[] }): Promise<StoredEvent[]>;
  /** A node's events below `before` (null: the newest), newest first; 404 for an unknown node. */
  nodeEvents(id: string, before: number | null, limit: number): Promise<StoredEvent[]>;
  /** The oldest retained event id (null: none) and the last id given. */
  eventBounds(): Promise<{ oldest: number | null; last: number }>;
  /** Deletes events past retention (the sweeping process, after a sweep); returns how many. */
  applyRetention(): Promise<number>;
  /** Records the sweeper's heartbeat (called by the sweeping process after each sweep). */
  heartbeat(beat: Omit<SweeperHeartbeat, 'sweptAtMs' | 'brakeHeld'>): Promise<void>;
  /**
   * Ready when a database query works and the sweeper swept within two intervals (plus 1 s); warnings
   * for published files that cannot be written and for a held mass offline.
   */
  readiness(): Promise<Readiness>;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A discovery document as served: the store's document and its ETag (a SHA-1 of its bytes). */
export interface DiscoveryDocument extends TargetGroupsDocument {
  etag: string;
  bytes: number;
}

/** Builds the registry over a store. */
export function createRegistry(deps: RegistryDeps): Registry {
  const { store, clock, thresholds, idPrefix, metrics } = deps;
  // Restart grace: one offline threshold from the start of this registry, moved on by `serving`.
  const policy: SweepPolicy = { graceUntilMs: clock.now() + thresholds.offlineAfterMs, brake: deps.offlineBrake ?? null };
  let holdState: HoldState = { brakeSinceMs: null };
  /**
   * The restart grace applies when the whole registry was down, not only when this process started
   * (SPEC §11): when the last sweep any master recorded is older than the offline threshold and than two
   * of its intervals (nobody swept, so nobody may have been able to report: a database outage, every
   * master down), the grace starts again — once per such gap. A failover within the lease is no gap.
   */
  let graceForBeat: number | null = null;
  const applyRegistryGrace = async (nowMs: number) => {
    const raw = await store.getState(HEARTBEAT_KEY);
    if (raw === null) return;
    const beat = JSON.parse(raw) as SweeperHeartbeat;
    const gapMs = nowMs - beat.sweptAtMs;
    if (beat.sweptAtMs === graceForBeat || gapMs <= thresholds.offlineAfterMs || gapMs <= 2 * beat.intervalMs + 1000 || nowMs <= policy.graceUntilMs) return;
    graceForBeat = beat.sweptAtMs;
    policy.graceUntilMs = nowMs + thresholds.offlineAfterMs;
    log.warn({ lastSweep: rfc3339(beat.sweptAtMs), gapSeconds: gapMs / 1000, graceSeconds: thresholds.offlineAfterMs / 1000 }, 'no master swept for longer than the offline threshold (the registry was down): restart grace, no node goes offline for one offline threshold');
  };
  /** The grace of several masters: one threshold from when the registry was last served without a break. */
  const applyServedGrace = async (nowMs: number, servedSince: () => Promise<number | null>) => {
    const since = (await servedSince()) ?? nowMs;
    const until = since + thresholds.offlineAfterMs;
    // Logged when a grace starts again after one had ended (a database outage, every master down).
    if (nowMs > policy.graceUntilMs && nowMs <= until) {
      log.warn({ servedSince: rfc3339(since), graceSeconds: thresholds.offlineAfterMs / 1000 }, 'no master served agents without a break until recently: restart grace, no node goes offline for one offline threshold from then');
    }
    policy.graceUntilMs = until;
  };
  let hold: SweepHold = { brakeHeld: 0, restartGrace: true };
  /** A cut-off no report time is below: no node goes offline. */
  const NO_OFFLINE = Number.MIN_SAFE_INTEGER;
  const log = deps.logger.child({ module: 'registry' });

  const logTransition = (t: StatusTransition, cause: 'report' | 'sweep') => {
    log.info({ nodeId: t.id, from: t.from, to: t.to, cause }, 'node status changed');
    metrics?.statusTransitions.inc({ from: t.from, to: t.to, cause });
  };
  /**
   * A sweep's committed chunk: a line per node when few change (the usual case); when many do (a rack
   * lost, a master back after an outage), one line per chunk listing every node ID, so that 100,000
   * transitions cost 200 log writes rather than 100,000.
   */
  const logSweepChunk = (chunk: StatusTransition[]) => {
    metrics?.eventsWritten.inc({ type: EventType.Status }, chunk.length);
    if (chunk.length <= SWEEP_LINES_PER_NODE_UP_TO) {
      for (const t of chunk) logTransition(t, 'sweep');
      return;
    }
    const counts = new Map<string, { from: NodeStatus; to: NodeStatus; count: number }>();
    for (const t of chunk) {
      const key = `${t.from}>${t.to}`;
      const c = counts.get(key) ?? counts.set(key, { from: t.from, to: t.to, count: 0 }).get(key)!;
      c.count++;
    }
    for (const c of counts.values()) metrics?.statusTransitions.inc({ from: c.from, to: c.to, cause: 'sweep' }, c.count);
    log.info({ count: chunk.length, transitions: [...counts.values()], nodeIds: chunk.map((t) => t.id), cause: 'sweep' }, 'node statuses changed');
  };
  const countEvents = (events: readonly StoredEvent[]) => {
    for (const e of events) metrics?.eventsWritten.inc({ type: e.type });
  };
  const countRegistration = (result: 'created' | 'updated' | 'not_found' | 'name_mismatch') => {
    metrics?.registrations.inc({ result });
  };
  /** A registration naming an ID that does not exist (malformed, or never allocated): counted, then 404. */
  const registrationNotFound = (id: string) => {
    countRegistration('not_found');
    return nodeNotFound(id);
  };

  // Discovery: one build per query and fleet version; nodes left out for their host are counted and
  // logged once per distinct set (not on every poll).
  let invalidLogged = '';
  const noteInvalidHosts = (doc: TargetGroupsDocument) => {
    const { count, nodeIds } = doc.invalidHosts;
    metrics?.sdInvalidHosts.set(count);
    const signature = `${count}:${nodeIds.join(',')}`;
    if (count > 0 && signature !== invalidLogged) {
      log.warn({ count, nodeIds }, 'discovery left out nodes whose meta_data.ip/hostname is not an IP address or host name');
    }
    invalidLogged = count > 0 ? signature : '';
    return doc;
  };
  const discovery = createVersionCache<TargetGroupsQuery, DiscoveryDocument>({
    versionOf: (d) => d.version,
    bytesOf: (d) => d.bytes,
    key: (q) => JSON.stringify([[...q.statuses].sort(), [...q.labels].sort(), q.ports]),
    version: () => store.changeVersion(),
    build: async (q) => {
      const doc = noteInvalidHosts(await store.targetGroupsDocument(q));
      const bytes = doc.parts.reduce((n, p) => n + p.length, 0);
      return { ...doc, bytes, etag: `"${await sha1Of(doc.parts, 'base64url')}"` };
    },
  });

  const readBrake = async (): Promise<BrakeState> => {
    const raw = await store.getState(BRAKE_KEY);
    return raw ? (JSON.parse(raw) as BrakeState) : { state: 'released', held: 0, since: null, releases_at: null };
  };

  /** Rejects an ID that cannot exist before any storage access. */
  const mustBeIdShape = (id: string) => {
    if (!isNodeIdShape(id)) throw nodeNotFound(id);
  };

  return {
    async register(input, principal) {
      if (input.id !== null && !isNodeIdShape(input.id)) throw registrationNotFound(input.id);
      if (principal?.kind === 'node' && input.id !== null && input.id !== principal.nodeId) {
        throw forbidden(`this token belongs to node ${principal.nodeId}; it may not re-register ${input.id}`);
      }
      let token: string | undefined;
      const options = principal && {
        guard: (existing: NodeRecord | null) => {
          if (principal.kind === 'admin') return;
          if (principal.kind === 'enroll' && existing) {
            throw forbidden(
              `node ${existing.id} is already registered and the enrollment token cannot take it over; ` +
                `re-register with the node's own token, or have an admin issue a new one: POST /api/v1/master/nodes/${existing.id}/token`,
            );
          }
          if (principal.kind === 'node' && existing?.id !== principal.nodeId) {
            throw forbidden(`this token belongs to node ${principal.nodeId}; register other machines with the enrollment token`);
          }
          if (principal.kind === 'read') throw forbidden('the read token cannot register nodes');
        },
        tokenHashFor: (id: string) => {
          const issued = newNodeToken(id);
          token = issued.token;
          return issued.hash;
        },
      };
      const outcome = await store.register(input, clock.now(), idPrefix, options);
      switch (outcome.kind) {
        case 'unknown-id':
          throw registrationNotFound(input.id!);
        case 'name-mismatch':
          log.warn({ nodeId: input.id, storedName: outcome.storedName, givenName: input.name }, 'registration name mismatch');
          countRegistration('name_mismatch');
          throw nameMismatch(input.id!, outcome.storedName, input.name);
        case 'created':
          log.info({ nodeId: outcome.node.id, name: outcome.node.name }, 'node registered');
          countRegistration('created');
          countEvents(outcome.events);
          return token === undefined ? { created: true, node: outcome.node } : { created: true, node: outcome.node, token };
        case 'updated':
          log.info({ nodeId: outcome.node.id, name: outcome.node.name }, 'node re-registered');
          countRegistration('updated');
          countEvents(outcome.events);
          return { created: false, node: outcome.node };
      }
    },

    async report(id, report) {
      mustBeIdShape(id);
      const nowMs = clock.now();
      const result = await store.update(id, (n) => {
        const status = statusOf(n.status, nowMs, nowMs, thresholds);
        const next: NodeRecord = { ...n, status, health: report.health, lastReportMs: nowMs, agentLastReportMs: report.agentTimestampMs, lastUpdatedMs: nowMs };
        if (status !== n.status) next.statusSinceMs = nowMs;
        if (deps.flap && isFlapTransition(n.status, status)) {
          const f = recordFlapTransition(n.flapTimesMs, nowMs, deps.flap);
          next.flapTimesMs = f.timesMs;
          next.flapping = f.flapping;
        }
        return next;
      });
      if (!result) throw nodeNotFound(id);
      metrics?.statusReports.inc();
      countEvents(result.events);
      const { before, after } = result;
      if (before.status !== after.status) logTransition({ id, from: before.status, to: after.status }, 'report');
      return after;
    },

    async configure(id, update) {
      mustBeIdShape(id);
      const problem = update.label === undefined ? null : labelProblem(update.label);
      if (problem !== null) throw new AppError('BAD_REQUEST', `invalid request: body/${problem}`);
      const nowMs = clock.now();
      const result = await store.update(id, (n) => {
        const config = update.config ? { ...n.config, ...update.config } : n.config;
        // Merging may grow the stored config past the limit even when each update is within it.
        if (update.config) checkObjectLimits('config (merged with the stored config)', config);
        return { ...n, config, label: update.label ?? n.label, lastUpdatedMs: nowMs };
      });
      if (!result) throw nodeNotFound(id);
      countEvents(result.events);
      const { before, after } = result;
      if (!sameJson(before.label, after.label)) log.info({ nodeId: id, label: after.label }, 'node labels changed');
      return after;
    },

    async rotateToken(id) {
      mustBeIdShape(id);
      const issued = newNodeToken(id);
      const result = await store.update(id, (n) => ({ ...n, tokenHash: issued.hash, lastUpdatedMs: clock.now() }));
      if (!result) throw nodeNotFound(id);
      log.info({ nodeId: id }, 'node token rotated');
      return issued.token;
    },

    async get(id) {
      mustBeIdShape(id);
      const node = await store.get(id);
      if (!node) throw nodeNotFound(id);
      return node;
    },

    listDocument: () => store.listDocument(),
    targetGroups: (query) => discovery(query),
    fileSdDocument: async (ports) => noteInvalidHosts(await store.targetGroupsDocument({ statuses: ['online'], labels: [], ports })),

    listPage: (filter, after, limit) => store.listPage(filter, after, limit),
    browse: (filter, cursor, limit) => store.browse(filter, cursor, limit),

    async statistics(filter) {
      const counts = await (filter ? store.statisticsOf(filter) : store.statistics());
      return { total: counts.reduce((sum, c) => sum + c.count, 0), status_statistics: counts };
    },

    serving() {
      policy.graceUntilMs = Math.max(policy.graceUntilMs, clock.now() + thresholds.offlineAfterMs);
    },

    async sweep(options = {}) {
      const nowMs = clock.now();
      if (deps.servedSince) await applyServedGrace(nowMs, deps.servedSince);
      else await applyRegistryGrace(nowMs);
      const cutoffs = sweepCutoffs(nowMs, thresholds);
      const preview = needsPreview(policy, nowMs) ? await store.sweepPreview(cutoffs) : null;
      const since = holdState.brakeSinceMs;
      const releaseAsked = since !== null && Number((await store.getState(BRAKE_RELEASE_KEY)) ?? 0) >= since;
      const decision = decideSweep(holdState, preview, nowMs, policy, releaseAsked);
      for (const n of decision.notes) log[n.level](n.fields, n.msg);
      holdState = decision.next;
      // The brake's state for every process (GET /brake), with its engage/release event.
      if (decision.brakeChange || decision.brakeHeld > 0) {
        const brakeSince = decision.next.brakeSinceMs;
        const state: BrakeState = {
          state: brakeSince === null ? 'released' : 'holding',
          held: decision.brakeHeld,
          since: brakeSince === null ? null : rfc3339(brakeSince),
          releases_at: brakeSince === null || !policy.brake ? null : rfc3339(brakeSince + policy.brake.maxHoldMs),
        };
        const change = decision.brakeChange;
        const events = change ? [{ type: change.type, nodeId: null, fields: change.type === 'brake.released' ? { held: change.held, cause: change.cause } : { held: change.held } }] : [];
        await store.putState(BRAKE_KEY, JSON.stringify(state), events, nowMs);
        if (change) metrics?.eventsWritten.inc({ type: change.type });
      }
      hold = { brakeHeld: decision.brakeHeld, restartGrace: decision.restartGrace };
      metrics?.brakeHeld.set(decision.brakeHeld);
      const transitions: StatusTransition[] = [];
      const collect = options.collect ?? true;
      const onChunk = (chunk: StatusTransition[]) => {
        logSweepChunk(chunk);
        if (collect) for (const t of chunk) transitions.push(t);
      };
      await store.sweep({ ...cutoffs, offlineBeforeMs: decision.holdOffline ? NO_OFFLINE : cutoffs.offlineBeforeMs }, nowMs, onChunk, deps.flap);
      if (deps.flap) {
        const calmed = await store.settleFlapping(nowMs, deps.flap);
        if (calmed.length > 0) {
          metrics?.eventsWritten.inc({ type: EventType.Flapping }, calmed.length);
          log.info({ count: calmed.length, nodeIds: calmed.slice(0, 100) }, 'nodes stopped flapping');
        }
      }
      // Nothing is collected while the grace or the brake holds offline transitions: the master, not
      // the fleet, may be what is wrong.
      const gcAfterMs = deps.gcAfterMs ?? 0;
      if (gcAfterMs > 0 && !decision.holdOffline) {
        await store.collectGarbage(nowMs - gcAfterMs, nowMs, (ids) => {
          metrics?.eventsWritten.inc({ type: EventType.Deregistered }, ids.length);
          log.info({ count: ids.length, nodeIds: ids, cause: 'gc', afterSeconds: gcAfterMs / 1000 }, 'nodes deregistered');
        });
      }
      return transitions;
    },

    held: () => hold,

    async events(query) {
      const { oldest, last } = await store.eventBounds();
      const firstKept = oldest ?? last + 1;
      if (query.after !== null && query.after + 1 < firstKept && query.after < last) throw eventsPruned(firstKept);
      return store.events({ ...query, after: query.after ?? firstKept - 1 });
    },

    brake: readBrake,

    async releaseBrake() {
      await store.putState(BRAKE_RELEASE_KEY, String(clock.now()));
      log.warn('mass-offline brake: release requested by an admin; applied at the next sweep');
      return readBrake();
    },

    async deregister(id) {
      mustBeIdShape(id);
      const result = await store.deregister(id, 'admin', clock.now());
      if (!result) throw nodeNotFound(id);
      countEvents(result.events);
      log.info({ nodeId: id, name: result.node.name, cause: 'admin' }, 'node deregistered');
      return result.node;
    },

    async nodeEvents(id, before, limit) {
      mustBeIdShape(id);
      if ((await store.get(id)) === null) throw nodeNotFound(id);
      return store.nodeEvents(id, before, limit);
    },

    eventBounds: () => store.eventBounds(),

    async applyRetention() {
      const sessions = await store.pruneExpiredState(SESSION_PREFIX, clock.now());
      if (sessions > 0) log.info({ sessions }, 'expired dashboard sessions removed');
      if (!deps.eventRetention) return 0;
      const deleted = await store.pruneEvents({ olderThanMs: clock.now() - deps.eventRetention.maxAgeMs, maxPerNode: deps.eventRetention.maxPerNode });
      if (deleted > 0) {
        metrics?.eventsPruned.inc(deleted);
        log.info({ deleted }, 'events past retention deleted');
      }
      return deleted;
    },

    async heartbeat(beat) {
      const full: SweeperHeartbeat = { ...beat, sweptAtMs: clock.now(), brakeHeld: hold.brakeHeld };
      await store.putState(HEARTBEAT_KEY, JSON.stringify(full));
    },

    async readiness() {
      const warnings: Warning[] = [];
      const failing = deps.writesFailing?.() ?? [];
      if (failing.length > 0) {
        const codes = [...new Set(failing.map((f) => f.code))].join(', ');
        const since = rfc3339(Math.min(...failing.map((f) => f.sinceMs)));
        const text = `database writes failing: ${codes} since ${since}`;
        warnings.push({ message: text, summary: text });
      }
      let raw: string | null;
      try {
        raw = await store.getState(HEARTBEAT_KEY);
      } catch (err) {
        // An AppError's text (the code only); anything else may hold the database's address: not shown.
        return { ready: false, error: `database unavailable: ${err instanceof AppError ? err.message : 'the query failed'}`, warnings };
      }
      if (raw === null) return { ready: false, error: 'the status sweeper has not run yet', warnings };
      const beat = JSON.parse(raw) as SweeperHeartbeat;
      const ageMs = clock.now() - beat.sweptAtMs;
      if (ageMs > 2 * beat.intervalMs + 1000) {
        return { ready: false, error: `the status sweeper is late: last sweep ${(ageMs / 1000).toFixed(1)} s ago, interval ${beat.intervalMs / 1000} s`, warnings };
      }
      for (const e of beat.publishErrors) warnings.push({ message: `${e.file} cannot be written: ${e.error}`, summary: `${e.file} cannot be written` });
      if (beat.brakeHeld > 0) {
        const text = `mass-offline brake: holding ${beat.brakeHeld} offline transitions`;
        warnings.push({ message: text, summary: text });
      }
      return { ready: true, warnings };
    },
  };
}
