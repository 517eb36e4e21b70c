// What people and programs read of the fleet (SPEC §2, §8, §9): a node, the list and its pages, the
// statistics, discovery, the history, the brake's state. Used alike by the API, the dashboard and the
// feed of the live streams.
import type { Logger } from 'pino';
import type { EventType, StoredEvent } from '../domain/events.js';
import type { MaintenanceWindow } from '../domain/maintenance.js';
import type { NodeRecord, StatusCount } from '../domain/node.js';
import { eventsPruned, nodeNotFound } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { NodeFilter, NodePage, NodeStore, PageCursor, RecordPage, TargetGroupsDocument, TargetGroupsQuery } from '../storage/store.js';
import { readBrake, type BrakeState } from '../sweeping/records.js';
import { mustBeIdShape } from './commands.js';
import { assembleGroups, type Group, type GroupBy } from '../domain/grouping.js';
import { createDiscovery, type DiscoveryDocument } from './discovery.js';

/** The statistics answer. */
export interface Statistics {
  total: number;
  status_statistics: StatusCount[];
}

/** The reads. */
export interface NodeQueries {
  get(id: string): Promise<NodeRecord>;
  /** Every node's summary, ordered by ID number, as the JSON document of GET /nodes (UTF-8). */
  listDocument(): Promise<Buffer>;
  /** A keyset page of the nodes matching a filter (SPEC §9.5). */
  listPage(filter: NodeFilter, after: string | null, limit: number): Promise<NodePage>;
  /** A page of full records (the dashboard's table), forwards or backwards. */
  browse(filter: NodeFilter, cursor: PageCursor, limit: number): Promise<RecordPage>;
  /** Counts per status, of every node or of those matching `filter`. */
  statistics(filter?: NodeFilter): Promise<Statistics>;
  /** The same grouped by a field or label key, with each group's online capacity (SPEC §17). */
  statisticsBy(filter: NodeFilter, by: GroupBy): Promise<{ total: number; groups: Group[] }>;
  /** Prometheus target groups of the nodes a query selects, with its ETag; cached until the fleet changes. */
  targetGroups(query: TargetGroupsQuery): Promise<DiscoveryDocument>;
  /** The target groups of the online nodes for the file_sd file. */
  fileSdDocument(ports: readonly number[]): Promise<TargetGroupsDocument>;
  /** Events after `after` (null: from the oldest retained), filtered; 410 when events after it were pruned. */
  events(query: { after: number | null; limit: number; types: readonly EventType[]; nodeIds: readonly string[] }): Promise<StoredEvent[]>;
  /** A node's events below `before` (null: the newest), newest first; 404 for an unknown node. */
  nodeEvents(id: string, before: number | null, limit: number): Promise<StoredEvent[]>;
  /** The oldest retained event id (null: none) and the last id given. */
  eventBounds(): Promise<{ oldest: number | null; last: number }>;
  /** The mass-offline brake's state, as the sweeping process last recorded it. */
  brake(): Promise<BrakeState>;
  /** The maintenance window a node is in (SPEC §13), or null. */
  windowOf(node: NodeRecord): Promise<MaintenanceWindow | null>;
}

/** Creates the reads over a store. */
export function createNodeQueries(deps: { store: NodeStore; logger: Logger; metrics?: Pick<Metrics, 'sdInvalidHosts'> }): NodeQueries {
  const { store } = deps;
  const discovery = createDiscovery(store, deps.logger.child({ module: 'discovery' }), deps.metrics);
  return {
    async get(id) {
      mustBeIdShape(id);
      const node = await store.get(id);
      if (!node) throw nodeNotFound(id);
      return node;
    },
    listDocument: () => store.listDocument(),
    listPage: (filter, after, limit) => store.listPage(filter, after, limit),
    browse: (filter, cursor, limit) => store.browse(filter, cursor, limit),
    async statistics(filter) {
      const counts = await (filter ? store.statisticsOf(filter) : store.statistics());
      return { total: counts.reduce((sum, c) => sum + c.count, 0), status_statistics: counts };
    },
    statisticsBy: async (filter, by) => assembleGroups(await store.statisticsBy(filter, by)),
    targetGroups: discovery.targetGroups,
    fileSdDocument: discovery.fileSdDocument,
    async events(query) {
      const { oldest, last } = await store.eventBounds();
      const firstKept = oldest ?? last + 1;
      if (query.after !== null && query.after + 1 < firstKept && query.after < last) throw eventsPruned(firstKept);
      return store.events({ ...query, after: query.after ?? firstKept - 1 });
    },
    async nodeEvents(id, before, limit) {
      mustBeIdShape(id);
      if ((await store.get(id)) === null) throw nodeNotFound(id);
      return store.nodeEvents(id, before, limit);
    },
    eventBounds: () => store.eventBounds(),
    brake: () => readBrake(store),
    windowOf: async (node) => (node.maintenance === null ? null : store.window(node.maintenance)),
  };
}
