// Configuration from the environment (SPEC §1). Pure: takes an env map, returns a typed config or
// every problem at once, one line per bad variable. Defaults live in config/defaults.ts and nowhere
// else; each section is read by config/sections.ts.
import { envReader, type LogLevel } from './config/env.js';
import { authSection, fleetSection, outputsSection, serverSection, storageSection } from './config/sections.js';

export { LOG_LEVELS, type LogLevel } from './config/env.js';
export { DEFAULTS } from './config/defaults.js';
export { resolveSecretFiles, SECRET_VARIABLES } from './config/secrets.js';
export { parseBind, parsePorts } from './config/parse.js';
export { DNS_MONITOR_DEFAULTS, loadDnsMonitorConfig, type DnsMonitorConfig } from './config/dns-monitor.js';

/** SQLite `synchronous` modes offered (see docs/operations.md, "Durability"). */
export type SqliteSynchronous = 'normal' | 'full';

/** The validated configuration of the master. */
export interface Config {
  dbPath: string;
  /** DATABASE_URL: PostgreSQL (several masters, SPEC §11); null: SQLite at dbPath. */
  databaseUrl: string | null;
  /** How long a leader's lease lasts in the database (PostgreSQL); renewed every third of it. */
  leaderLeaseSeconds: number;
  /** This master's name among several (PostgreSQL): MASTER_INSTANCE, else host name and pid. */
  instance: string | null;
  nodesJsonPath: string;
  onlineThresholdSeconds: number;
  offlineThresholdSeconds: number;
  schedulerIntervalSeconds: number;
  nodeIdPrefix: string;
  authMode: 'disabled' | 'token';
  /** The static tokens of AUTH_MODE=token (null with auth disabled). */
  tokens: { enroll: string; admin: string; read: string | null } | null;
  bindHost: string;
  bindPort: number;
  workers: number;
  logLevel: LogLevel;
  logRequests: boolean;
  /** A request taking longer than this is logged at warn (SLOW_REQUEST_SECONDS). */
  slowRequestSeconds: number;
  sqliteSynchronous: SqliteSynchronous;
  /** Ports of the targets in Prometheus service discovery (http_sd default and file_sd). */
  prometheusSdPorts: number[];
  /** Where to write the Prometheus file_sd file; null: not written. */
  prometheusFileSdPath: string | null;
  /** Largest request body accepted (413 above). */
  maxBodyBytes: number;
  /** Most event and dashboard streams open at once on this master (503 beyond), shared among its workers. */
  maxStreams: number;
  /** More names browsers may reach this master by (ALLOWED_HOSTS; `.example.com`: every name under it). */
  allowedHosts: string[];
  /** Longest a request (headers and body) may take to arrive before it is answered 408 and closed. */
  requestTimeoutSeconds: number;
  /** Flapping: at least this many online/offline transitions within the window (SPEC §9.3). */
  flapTransitions: number;
  flapWindowSeconds: number;
  /** Garbage collection of nodes offline or never reporting for longer than this (0: off). */
  nodeGcSeconds: number;
  /** Events older than this are deleted (SPEC §8.1). */
  eventsRetentionDays: number;
  /** At most this many events are kept per node. */
  eventsMaxPerNode: number;
  /** A notification not delivered after this many hours is dead (SPEC §15; fractions allowed). */
  notifyMaxAgeHours: number;
  /** Messages an endpoint receives a minute at most; beyond, one digest (SPEC §15). */
  notifyMaxPerMinute: number;
  /** How people reach this master (links in notifications); null: http://<host name>:<port>. */
  publicUrl: string | null;
  /** The mass-offline brake; null when turned off. */
  offlineBrake: { ratio: number; minNodes: number; maxHoldSeconds: number } | null;
}

/** Result of `loadConfig`: a config, or the list of problems (one line each). */
export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Reads and validates the configuration from `env`; never throws. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const r = envReader(env);
  const config: Config = { ...storageSection(r), ...fleetSection(r), ...authSection(r), ...serverSection(r), ...outputsSection(r) };
  return r.errors.length > 0 ? { ok: false, errors: r.errors } : { ok: true, config };
}
