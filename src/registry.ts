// The registry: every use case of the master (register, report, configure, query, sweep), and the only
// place that decides status transitions, on a report and in a sweep alike, with the domain's rules.
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { isNodeIdShape, type JsonObject, type NodeRecord, type NodeSummary, type PublishedNode, type RegistrationInput, type StatusCount, type StatusTransition } from './domain/node.js';
import { toNodesFileEntry } from './domain/nodes-file-entry.js';
import { toTargetGroup } from './domain/prometheus-sd.js';
import { checkObjectLimits } from './limits.js';
import type { Metrics } from './metrics.js';
import { NodeStatus, statusOf, sweepCutoffs, type Thresholds } from './domain/status.js';
import { nameMismatch, nodeNotFound } from './errors.js';
import type { NodeStore } from './storage/store.js';

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
  /** Called after a committed change that may alter published files (online set, labels, entry fields). */
  onPublishedChange: () => void;
  metrics?: Pick<Metrics, 'statusTransitions' | 'registrations' | 'statusReports'>;
}

/** The registry's use cases. */
export interface Registry {
  register(input: RegistrationInput): Promise<{ created: boolean; node: NodeRecord }>;
  report(id: string, report: StatusReport): Promise<NodeRecord>;
  configure(id: string, update: ConfigUpdate): Promise<NodeRecord>;
  get(id: string): Promise<NodeRecord>;
  list(): Promise<NodeSummary[]>;
  /** Nodes of the given statuses as published outputs (service discovery) need them. */
  listPublished(statuses: readonly NodeStatus[]): Promise<PublishedNode[]>;
  statistics(): Promise<Statistics>;
  /** One status sweep at the clock's now; returns (and logs) the transitions it made. */
  sweep(): Promise<StatusTransition[]>;
  /** Rejects when storage is not usable. */
  ping(): Promise<void>;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Whether what nodes.json and service discovery show of a node differs between two versions of it. */
function publishedViewChanged(before: PublishedNode, after: PublishedNode): boolean {
  const view = (n: PublishedNode) => [toNodesFileEntry(n), toTargetGroup(n, [1])];
  return !sameJson(view(before), view(after));
}

/** Builds the registry over a store. */
export function createRegistry(deps: RegistryDeps): Registry {
  const { store, clock, thresholds, idPrefix, onPublishedChange, metrics } = deps;
  const log = deps.logger.child({ module: 'registry' });

  const logTransition = (t: StatusTransition, cause: 'report' | 'sweep') => {
    log.info({ nodeId: t.id, from: t.from, to: t.to, cause }, 'node status changed');
    metrics?.statusTransitions.inc({ from: t.from, to: t.to, cause });
  };
  const countRegistration = (result: 'created' | 'updated' | 'not_found' | 'name_mismatch') => {
    metrics?.registrations.inc({ result });
  };

  /** Rejects an ID that cannot exist before any storage access. */
  const mustBeIdShape = (id: string) => {
    if (!isNodeIdShape(id)) throw nodeNotFound(id);
  };

  return {
    async register(input) {
      if (input.id !== null && !isNodeIdShape(input.id)) {
        countRegistration('not_found');
        throw nodeNotFound(input.id);
      }
      const outcome = await store.register(input, clock.now(), idPrefix);
      switch (outcome.kind) {
        case 'unknown-id':
          countRegistration('not_found');
          throw nodeNotFound(input.id!);
        case 'name-mismatch':
          log.warn({ nodeId: input.id, storedName: outcome.storedName, givenName: input.name }, 'registration name mismatch');
          countRegistration('name_mismatch');
          throw nameMismatch(input.id!, outcome.storedName, input.name);
        case 'created':
          log.info({ nodeId: outcome.node.id, name: outcome.node.name }, 'node registered');
          countRegistration('created');
          return { created: true, node: outcome.node };
        case 'updated':
          log.info({ nodeId: outcome.node.id, name: outcome.node.name }, 'node re-registered');
          countRegistration('updated');
          if (outcome.node.status === NodeStatus.Online && publishedViewChanged(outcome.before, outcome.node)) onPublishedChange();
          return { created: false, node: outcome.node };
      }
    },

    async report(id, report) {
      mustBeIdShape(id);
      const nowMs = clock.now();
      const result = await store.update(id, (n) => ({
        ...n,
        status: statusOf(n.status, nowMs, nowMs, thresholds),
        health: report.health,
        lastReportMs: nowMs,
        agentLastReportMs: report.agentTimestampMs,
        lastUpdatedMs: nowMs,
      }));
      if (!result) throw nodeNotFound(id);
      metrics?.statusReports.inc();
      const { before, after } = result;
      if (before.status !== after.status) {
        logTransition({ id, from: before.status, to: after.status }, 'report');
        onPublishedChange();
      }
      return after;
    },

    async configure(id, update) {
      mustBeIdShape(id);
      const nowMs = clock.now();
      const result = await store.update(id, (n) => {
        const config = update.config ? { ...n.config, ...update.config } : n.config;
        // Merging may grow the stored config past the limit even when each update is within it.
        if (update.config) checkObjectLimits('config (merged with the stored config)', config);
        return { ...n, config, label: update.label ?? n.label, lastUpdatedMs: nowMs };
      });
      if (!result) throw nodeNotFound(id);
      const { before, after } = result;
      if (!sameJson(before.label, after.label)) {
        log.info({ nodeId: id, label: after.label }, 'node labels changed');
        if (after.status === NodeStatus.Online) onPublishedChange();
      }
      return after;
    },

    async get(id) {
      mustBeIdShape(id);
      const node = await store.get(id);
      if (!node) throw nodeNotFound(id);
      return node;
    },

    list: () => store.list(),
    listPublished: (statuses) => store.publishedNodes(statuses),

    async statistics() {
      const counts = await store.statistics();
      return { total: counts.reduce((sum, c) => sum + c.count, 0), status_statistics: counts };
    },

    async sweep() {
      const nowMs = clock.now();
      const transitions = await store.sweep(sweepCutoffs(nowMs, thresholds), nowMs);
      for (const t of transitions) logTransition(t, 'sweep');
      return transitions;
    },

    ping: () => store.ping(),
  };
}
