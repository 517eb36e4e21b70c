// The configuration by section, each read and checked from the environment (env.ts records every bad
// value; nothing throws): where the data lives, how the fleet is judged, who may do what, how the
// master serves, what it publishes. loadConfig (../config.ts) puts them together.
import type { Config, SqliteSynchronous } from '../config.js';
import type { EnvReader } from './env.js';
import { parseBind, parseBool, parsePorts } from './parse.js';

const MAX_WORKERS = 64;
const MIN_TOKEN_LENGTH = 16;

/** Where the data lives: SQLite or PostgreSQL, and this master among several. */
export function storageSection(r: EnvReader) {
  const databaseUrl = r.get('DATABASE_URL') ?? null;
  if (databaseUrl !== null) {
    let ok = false;
    try {
      const u = new URL(databaseUrl);
      ok = (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
    } catch {
      ok = false;
    }
    // The value may hold a password: never shown.
    if (!ok) r.errors.push('invalid DATABASE_URL: must be postgres://user:password@host:port/database (value not shown)');
  }
  const instance = r.get('MASTER_INSTANCE') ?? null;
  if (instance !== null && !/^[A-Za-z0-9._:-]{1,128}$/.test(instance)) r.bad('MASTER_INSTANCE', instance, 'must be 1–128 letters, digits or . _ : -');
  const sync = r.str('SQLITE_SYNCHRONOUS').toLowerCase();
  if (sync !== 'normal' && sync !== 'full') r.bad('SQLITE_SYNCHRONOUS', sync, 'must be normal or full');
  return {
    dbPath: r.str('DB_PATH'), databaseUrl, instance, sqliteSynchronous: sync as SqliteSynchronous,
    leaderLeaseSeconds: r.secondsOf('LEADER_LEASE_SECONDS'),
  } satisfies Partial<Config>;
}

/** How the fleet is judged: thresholds, IDs, the brake, garbage collection, flapping, retention. */
export function fleetSection(r: EnvReader) {
  const offlineThresholdSeconds = r.secondsOf('OFFLINE_THRESHOLD_SECONDS');
  const onlineThresholdSeconds = r.secondsOf('ONLINE_THRESHOLD_SECONDS');
  if (onlineThresholdSeconds > offlineThresholdSeconds) r.bad('ONLINE_THRESHOLD_SECONDS', r.str('ONLINE_THRESHOLD_SECONDS'), `must not exceed OFFLINE_THRESHOLD_SECONDS (${offlineThresholdSeconds})`);
  const nodeIdPrefix = r.str('NODE_ID_PREFIX');
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(nodeIdPrefix) || /\d$/.test(nodeIdPrefix)) {
    r.bad('NODE_ID_PREFIX', nodeIdPrefix, 'must be 1-32 letters, digits, "_" or "-", start with a letter and not end with a digit');
  }
  const gcRaw = r.str('NODE_GC_SECONDS');
  return {
    onlineThresholdSeconds, offlineThresholdSeconds, nodeIdPrefix,
    schedulerIntervalSeconds: r.secondsOf('SCHEDULER_INTERVAL_SECONDS'),
    nodeGcSeconds: /^0+(\.0+)?$/.test(gcRaw) ? 0 : r.secondsOf('NODE_GC_SECONDS'),
    flapTransitions: r.integer('FLAP_TRANSITIONS', 2, 1000),
    flapWindowSeconds: r.secondsOf('FLAP_WINDOW_SECONDS'),
    // Days, fractions allowed (so that tests can use seconds: 0.0001 days is 8.64 s).
    eventsRetentionDays: r.secondsOf('EVENTS_RETENTION_DAYS'),
    eventsMaxPerNode: r.integer('EVENTS_MAX_PER_NODE', 1, 10_000_000),
    offlineBrake: brake(r),
  } satisfies Partial<Config>;
}

/** The mass-offline brake, or null when turned off. */
function brake(r: EnvReader): Config['offlineBrake'] {
  const on = parseBool(r.str('OFFLINE_BRAKE'));
  if (on === undefined) r.bad('OFFLINE_BRAKE', r.str('OFFLINE_BRAKE'), 'must be on or off');
  const ratioRaw = r.str('OFFLINE_BRAKE_RATIO');
  const ratio = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(ratioRaw) ? Number(ratioRaw) : Number.NaN;
  if (!(ratio > 0 && ratio <= 1)) r.bad('OFFLINE_BRAKE_RATIO', ratioRaw, 'must be a share of the online nodes, above 0 and at most 1');
  const minNodes = r.integer('OFFLINE_BRAKE_MIN_NODES', 1, 10_000_000);
  const maxHoldSeconds = r.secondsOf('OFFLINE_BRAKE_MAX_HOLD_SECONDS');
  return on ? { ratio, minNodes, maxHoldSeconds } : null;
}

/** Who may do what: AUTH_MODE and, in token mode, its tokens (never shown in a message). */
export function authSection(r: EnvReader) {
  const authMode = r.str('AUTH_MODE');
  if (authMode !== 'disabled' && authMode !== 'token') r.bad('AUTH_MODE', authMode, 'must be "disabled" or "token"');
  let tokens: Config['tokens'] = null;
  if (authMode === 'token') {
    const token = (name: string, required: boolean): string | null => {
      const v = r.get(name);
      if (v === undefined) {
        if (required) r.errors.push(`missing ${name} (or ${name}_FILE): AUTH_MODE=token needs it`);
        return null;
      }
      if (v.length < MIN_TOKEN_LENGTH || /\s/.test(v)) r.errors.push(`invalid ${name}: must be at least ${MIN_TOKEN_LENGTH} characters without spaces (value not shown)`);
      return v;
    };
    const enroll = token('ENROLL_TOKEN', true);
    const admin = token('ADMIN_TOKEN', true);
    const read = token('READ_TOKEN', false);
    const given = [enroll, admin, read].filter((v): v is string => v !== null);
    if (new Set(given).size !== given.length) r.errors.push('invalid tokens: ENROLL_TOKEN, ADMIN_TOKEN and READ_TOKEN must all differ');
    if (enroll && admin) tokens = { enroll, admin, read };
  }
  return { authMode: authMode as Config['authMode'], tokens } satisfies Partial<Config>;
}

/** How the master serves: where it listens, its workers, its logs, the limits of a request. */
export function serverSection(r: EnvReader) {
  const bindName = r.aliased('MASTER_BIND', 'GUNICORN_BIND');
  const bindRaw = r.get(bindName) ?? r.str('MASTER_BIND');
  const bind = parseBind(bindRaw);
  if (!bind) r.bad(bindName, bindRaw, 'must be HOST:PORT, [IPV6]:PORT or :PORT with a port from 1 to 65535');
  const workersName = r.aliased('MASTER_WORKERS', 'GUNICORN_WORKERS');
  const logRequests = parseBool(r.str('LOG_REQUESTS'));
  if (logRequests === undefined) r.bad('LOG_REQUESTS', r.str('LOG_REQUESTS'), 'must be true or false');
  const allowedHosts = (r.get('ALLOWED_HOSTS') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  const badHost = allowedHosts.find((h) => !/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(h));
  if (badHost !== undefined) r.bad('ALLOWED_HOSTS', r.get('ALLOWED_HOSTS')!, `${JSON.stringify(badHost)} is not a host name (or .domain)`);
  return {
    bindHost: bind?.host ?? '', bindPort: bind?.port ?? 0,
    workers: r.integerOf(workersName, r.get(workersName) ?? r.str('MASTER_WORKERS'), 1, MAX_WORKERS),
    logLevel: r.logLevel(),
    logRequests: logRequests ?? false,
    slowRequestSeconds: r.secondsOf('SLOW_REQUEST_SECONDS'),
    maxBodyBytes: r.integer('MAX_BODY_BYTES', 1024, 64 * 1024 * 1024),
    maxStreams: r.integer('MAX_STREAMS', 1, 1_000_000),
    allowedHosts,
    requestTimeoutSeconds: r.secondsOf('REQUEST_TIMEOUT_SECONDS'),
  } satisfies Partial<Config>;
}

/** What the master publishes: nodes.json, Prometheus discovery's ports and file. */
export function outputsSection(r: EnvReader) {
  const portsRaw = r.str('PROMETHEUS_SD_PORTS');
  const prometheusSdPorts = parsePorts(portsRaw);
  if (!prometheusSdPorts) r.bad('PROMETHEUS_SD_PORTS', portsRaw, 'must be a comma-separated list of ports from 1 to 65535');
  return {
    nodesJsonPath: r.str('METRIC_NODES_JSON_PATH'),
    prometheusSdPorts: prometheusSdPorts ?? [],
    prometheusFileSdPath: r.get('PROMETHEUS_FILE_SD_PATH') ?? null,
    ...notificationsSection(r),
  } satisfies Partial<Config>;
}

/** Notifications (SPEC §15): how long a message is tried, how many a minute an endpoint gets, links. */
function notificationsSection(r: EnvReader) {
  const publicUrl = r.get('PUBLIC_URL') ?? null;
  if (publicUrl !== null) {
    let ok = false;
    try {
      const u = new URL(publicUrl);
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
    } catch {
      ok = false;
    }
    if (!ok) r.bad('PUBLIC_URL', publicUrl, 'must be an http(s) URL without credentials, e.g. https://argus.example.com');
  }
  return {
    // Hours, fractions allowed (tests use seconds: 0.001 h is 3.6 s).
    notifyMaxAgeHours: r.secondsOf('NOTIFY_MAX_AGE_HOURS'),
    notifyMaxPerMinute: r.integer('NOTIFY_MAX_PER_MINUTE', 1, 100_000),
    publicUrl: publicUrl === null ? null : publicUrl.replace(/\/+$/, ''),
  };
}
