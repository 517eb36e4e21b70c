// The changes people and agents make to the fleet (SPEC §2, §9): register, report, configure, rotate a
// token, deregister, release the brake. Used alike by the API, the dashboard and the command line (through
// the API). Status transitions on a report follow the domain's `statusOf`; the label and size rules are
// the domain's and limits.ts's, applied here whoever asks; rights are rights.ts's.
import type { Logger } from 'pino';
import { newNodeToken, type Principal } from '../auth.js';
import type { Clock } from '../clock.js';
import { isFlapTransition, recordFlapTransition, type FlapSettings } from '../domain/flapping.js';
import { labelProblem } from '../domain/labels.js';
import { isNodeIdShape, type JsonObject, type NodeRecord, type RegistrationInput } from '../domain/node.js';
import { statusOf, type Thresholds } from '../domain/status.js';
import { AppError, nameMismatch, nodeNotFound } from '../errors.js';
import { checkObjectLimits } from '../limits.js';
import { deriveHealth } from '../domain/health.js';
import type { Metrics } from '../metrics.js';
import type { NodeStore, RegisterOptions } from '../storage/store.js';
import { RECORD, readBrake, type BrakeState } from '../sweeping/records.js';
import { createTransitionLog } from '../transition-log.js';
import { registrationRight } from './rights.js';

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

/** The changes. */
export interface NodeCommands {
  /**
   * Registers (SPEC §2). With `principal` (AUTH_MODE=token) the rights of rights.ts apply, and a new node
   * gets a token, returned here only.
   */
  register(input: RegistrationInput, principal?: Principal): Promise<{ created: boolean; node: NodeRecord; token?: string }>;
  /** Issues a new token for a node (the old one stops working at once). */
  rotateToken(id: string): Promise<string>;
  report(id: string, report: StatusReport): Promise<NodeRecord>;
  configure(id: string, update: ConfigUpdate): Promise<NodeRecord>;
  /** Removes a node (SPEC §9.1); returns it as it was; 404 for an unknown node. */
  deregister(id: string): Promise<NodeRecord>;
  /** Asks the sweeping process to let the held transitions through at its next sweep (SPEC §9.4). */
  releaseBrake(): Promise<BrakeState>;
}

/** What the commands need. */
export interface NodeCommandDeps {
  store: NodeStore;
  clock: Clock;
  thresholds: Thresholds;
  idPrefix: string;
  logger: Logger;
  metrics?: Pick<Metrics, 'statusTransitions' | 'registrations' | 'statusReports' | 'eventsWritten'>;
  /** Flapping detection (SPEC §9.3); absent: off. */
  flap?: FlapSettings;
}

/** Rejects an ID that cannot exist before any storage access. */
export function mustBeIdShape(id: string): void {
  if (!isNodeIdShape(id)) throw nodeNotFound(id);
}

/** The node a report leaves: online at once (a fresh report is within the online threshold), its times, health and its derived health (SPEC §14). */
function reported(n: NodeRecord, report: StatusReport, nowMs: number, thresholds: Thresholds, flap: FlapSettings | undefined): NodeRecord {
  const status = statusOf(n.status, nowMs, nowMs, thresholds);
  const derived = deriveHealth(n.conditions, report.health, nowMs);
  const next: NodeRecord = { ...n, status, health: report.health, ...derived, lastReportMs: nowMs, agentLastReportMs: report.agentTimestampMs, lastUpdatedMs: nowMs };
  if (status !== n.status) next.statusSinceMs = nowMs;
  if (flap && isFlapTransition(n.status, status)) {
    const f = recordFlapTransition(n.flapTimesMs, nowMs, flap);
    next.flapTimesMs = f.timesMs;
    next.flapping = f.flapping;
  }
  return next;
}

/** Creates the commands. */
export function createNodeCommands(deps: NodeCommandDeps): NodeCommands {
  const { store, clock, metrics } = deps;
  const log = deps.logger.child({ module: 'nodes' });
  const transitions = createTransitionLog(log, metrics);
  const counted = (result: 'created' | 'updated' | 'not_found' | 'name_mismatch') => metrics?.registrations.inc({ result });
  /** A registration naming an ID that does not exist (malformed, or never allocated): counted, then 404. */
  const registrationNotFound = (id: string) => {
    counted('not_found');
    return nodeNotFound(id);
  };

  const register: NodeCommands['register'] = async (input, principal) => {
    if (input.id !== null && !isNodeIdShape(input.id)) throw registrationNotFound(input.id);
    const right = principal && registrationRight(principal);
    right?.upFront(input.id);
    let token: string | undefined;
    const options: RegisterOptions = right ? {
      guard: right.guard,
      tokenHashFor: (id) => {
        const issued = newNodeToken(id);
        token = issued.token;
        return issued.hash;
      },
    } : {};
    const outcome = await store.register(input, clock.now(), deps.idPrefix, options);
    switch (outcome.kind) {
      case 'unknown-id':
        throw registrationNotFound(input.id!);
      case 'name-mismatch':
        log.warn({ nodeId: input.id, storedName: outcome.storedName, givenName: input.name }, 'registration name mismatch');
        counted('name_mismatch');
        throw nameMismatch(input.id!, outcome.storedName, input.name);
      case 'created':
        log.info({ nodeId: outcome.node.id, name: outcome.node.name }, 'node registered');
        counted('created');
        transitions.events(outcome.events);
        return token === undefined ? { created: true, node: outcome.node } : { created: true, node: outcome.node, token };
      case 'updated':
        log.info({ nodeId: outcome.node.id, name: outcome.node.name }, 'node re-registered');
        counted('updated');
        transitions.events(outcome.events);
        return { created: false, node: outcome.node };
    }
  };

  return {
    register,
    async report(id, report) {
      mustBeIdShape(id);
      const nowMs = clock.now();
      const result = await store.update(id, (n) => reported(n, report, nowMs, deps.thresholds, deps.flap));
      if (!result) throw nodeNotFound(id);
      metrics?.statusReports.inc();
      transitions.events(result.events);
      const { before, after } = result;
      if (before.status !== after.status) transitions.one({ id, from: before.status, to: after.status }, 'report');
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
      transitions.events(result.events);
      if (JSON.stringify(result.before.label) !== JSON.stringify(result.after.label)) log.info({ nodeId: id, label: result.after.label }, 'node labels changed');
      return result.after;
    },
    async rotateToken(id) {
      mustBeIdShape(id);
      const issued = newNodeToken(id);
      const result = await store.update(id, (n) => ({ ...n, tokenHash: issued.hash, lastUpdatedMs: clock.now() }));
      if (!result) throw nodeNotFound(id);
      log.info({ nodeId: id }, 'node token rotated');
      return issued.token;
    },
    async deregister(id) {
      mustBeIdShape(id);
      const result = await store.deregister(id, 'admin', clock.now());
      if (!result) throw nodeNotFound(id);
      transitions.events(result.events);
      log.info({ nodeId: id, name: result.node.name, cause: 'admin' }, 'node deregistered');
      return result.node;
    },
    async releaseBrake() {
      await store.putState(RECORD.brakeRelease, String(clock.now()));
      log.warn('mass-offline brake: release requested by an admin; applied at the next sweep');
      return readBrake(store);
    },
  };
}
