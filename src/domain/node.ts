// The node record as the use cases and storage see it. Times are epoch milliseconds;
// they become RFC 3339 strings only at the HTTP edge.
import type { Condition } from './health.js';
import type { HealthState } from './selector.js';
import type { NodeStatus } from './status.js';

/**
 * Whether `id` has the shape of a node ID (a prefix that starts with a letter, then a number), so that
 * anything else can be answered 404 without a database query.
 */
export function isNodeIdShape(id: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_-]{0,31}[0-9]{1,15}$/.test(id);
}

/** A JSON object as stored in `config`, `meta_data` and `health`. */
export type JsonObject = { [key: string]: unknown };

/** The agent-supplied description of a machine (well-known keys typed, others kept as given). */
export interface MetaData extends JsonObject {
  hostname?: string;
  ip?: string;
  env?: string;
  user?: string;
  instance?: string;
  cpu_number?: number;
  memory_in_bytes?: number;
  gpu_number?: number;
}

/** One registered node, exactly what storage holds. */
export interface NodeRecord {
  id: string;
  name: string;
  type: string;
  version: string;
  status: NodeStatus;
  config: JsonObject;
  label: string[];
  metaData: MetaData;
  health: JsonObject;
  registerTimeMs: number;
  lastReportMs: number | null;
  agentLastReportMs: number | null;
  lastUpdatedMs: number;
  /** When the status last changed (the registration time while initialized), SPEC §9.2. */
  statusSinceMs: number;
  /** Flapping (SPEC §9.3), and the times of the latest online/offline transitions it is judged from. */
  flapping: boolean;
  flapTimesMs: number[];
  /** SHA-256 (hex) of the node's token in AUTH_MODE=token; null when none was issued. */
  tokenHash: string | null;
  /** Derived from the last report's health (SPEC §14). */
  healthState: HealthState;
  conditions: Condition[];
  /** The maintenance window the node is in (SPEC §13), and its status when it entered; null when none. */
  maintenance: string | null;
  maintenanceStatus: NodeStatus | null;
}

/** What published outputs (nodes.json, service discovery) need of a node. */
export interface PublishedNode {
  id: string;
  name: string;
  type: string;
  version: string;
  status: NodeStatus;
  /** Only the string fields outputs show: hostname, ip, env, user, instance. */
  metaData: Pick<MetaData, 'hostname' | 'ip' | 'env' | 'user' | 'instance'>;
  label: string[];
  healthState: HealthState;
  /** Only the failing components' names are shown. */
  conditions: ReadonlyArray<Pick<Condition, 'component'>>;
  maintenance: string | null;
}

/** The short form listed by `GET /nodes`. */
export interface NodeSummary {
  id: string;
  name: string;
  status: NodeStatus;
  type: string;
  version: string;
}

/** The count of nodes having one status. */
export interface StatusCount {
  status: NodeStatus;
  count: number;
}

/** Fields of a registration request after validation (`id` absent means "allocate or find by name"). */
export interface RegistrationInput {
  id: string | null;
  name: string;
  type: string;
  version: string;
  metaData: MetaData;
}

/** One status change, as decided by a report or a sweep. */
export interface StatusTransition {
  id: string;
  from: NodeStatus;
  to: NodeStatus;
}
