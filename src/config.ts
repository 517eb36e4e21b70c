// Configuration from the environment (SPEC §1). Pure: takes an env map, returns a typed config or
// every problem at once, one line per bad variable. Defaults live here and nowhere else.

/** Log levels pino understands. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** One pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** SQLite `synchronous` modes offered (see README: durability). */
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
  /** The mass-offline brake; null when turned off. */
  offlineBrake: { ratio: number; minNodes: number; maxHoldSeconds: number } | null;
}

/** Every default, by variable name. */
export const DEFAULTS = {
  DB_PATH: '/private/argus/master/db.sqlite3',
  METRIC_NODES_JSON_PATH: '/private/argus/metric/prometheus/nodes.json',
  OFFLINE_THRESHOLD_SECONDS: '180',
  ONLINE_THRESHOLD_SECONDS: '120',
  SCHEDULER_INTERVAL_SECONDS: '30',
  NODE_ID_PREFIX: 'A',
  AUTH_MODE: 'disabled',
  MASTER_BIND: '0.0.0.0:3000',
  // Measured (docs/PERFORMANCE.md): on 2 cores, 2 workers beat 1 on reads and 4 on everything (SQLite
  // writers of several processes contend for one lock). The original used 4 gunicorn workers.
  MASTER_WORKERS: '2',
  LOG_LEVEL: 'info',
  // A line for every request is off by default: at ~1,700 reports a second the log halved throughput
  // (docs/PERFORMANCE.md); refused, failed and slow requests are logged either way.
  LOG_REQUESTS: 'false',
  SLOW_REQUEST_SECONDS: '1',
  SQLITE_SYNCHRONOUS: 'normal',
  PROMETHEUS_SD_PORTS: '9100',
  MAX_BODY_BYTES: '65536',
  MAX_STREAMS: '1000',
  REQUEST_TIMEOUT_SECONDS: '30',
  NODE_GC_SECONDS: '0',
  FLAP_TRANSITIONS: '5',
  FLAP_WINDOW_SECONDS: '3600',
  EVENTS_RETENTION_DAYS: '30',
  EVENTS_MAX_PER_NODE: '1000',
  OFFLINE_BRAKE: 'on',
  OFFLINE_BRAKE_RATIO: '0.5',
  OFFLINE_BRAKE_MIN_NODES: '10',
  OFFLINE_BRAKE_MAX_HOLD_SECONDS: '600',
  LEADER_LEASE_SECONDS: '15',
} as const;

/** Result of `loadConfig`: a config, or the list of problems (one line each). */
export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

const MAX_WORKERS = 64;
const MIN_TOKEN_LENGTH = 16;

/** The secrets that may also be given as a file (`NAME_FILE`, e.g. a Docker or Kubernetes secret). */
export const SECRET_VARIABLES = ['ENROLL_TOKEN', 'ADMIN_TOKEN', 'READ_TOKEN'] as const;

/**
 * Returns `env` with each `NAME_FILE` read into `NAME` (trailing newline trimmed). Setting both is an
 * error, as is an unreadable file; `readFile` is injected so this stays testable without files.
 */
export function resolveSecretFiles(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): { env: Record<string, string | undefined>; errors: string[] } {
  const out: Record<string, string | undefined> = { ...env };
  const errors: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`]?.trim();
    if (!file) continue;
    if (env[name]?.trim()) {
      errors.push(`invalid ${name}_FILE=${JSON.stringify(file)}: ${name} is set too; give only one`);
      continue;
    }
    try {
      out[name] = readFile(file).replace(/\r?\n$/, '');
    } catch (err) {
      errors.push(`invalid ${name}_FILE=${JSON.stringify(file)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  return { env: out, errors };
}

/** Helpers shared by the config loaders: read a variable, record a bad one, parse seconds. */
function envReader(env: Readonly<Record<string, string | undefined>>) {
  const errors: string[] = [];
  // An empty variable (e.g. `FOO=` in a compose file) counts as unset.
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bad = (name: string, value: string, why: string) => {
    errors.push(`invalid ${name}=${JSON.stringify(value)}: ${why}`);
  };
  const seconds = (name: string, fallback: string): number => {
    const raw = get(name) ?? fallback;
    const n = /^\d+(\.\d+)?$|^\.\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(n) || n <= 0) {
      bad(name, raw, 'must be a positive number of seconds (fractions allowed)');
      return Number.NaN;
    }
    return n;
  };
  const logLevel = (): LogLevel => {
    const raw = (get('LOG_LEVEL') ?? DEFAULTS.LOG_LEVEL).toLowerCase();
    if (!(LOG_LEVELS as readonly string[]).includes(raw)) bad('LOG_LEVEL', raw, `must be one of ${LOG_LEVELS.join(', ')}`);
    return raw as LogLevel;
  };
  return { errors, get, bad, seconds, logLevel };
}

/** Reads and validates the configuration from `env`; never throws. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const { errors, get, bad, seconds: secondsOf, logLevel: readLogLevel } = envReader(env);
  const str = (name: keyof typeof DEFAULTS) => get(name) ?? DEFAULTS[name];
  const seconds = (name: keyof typeof DEFAULTS) => secondsOf(name, DEFAULTS[name]);
  /** The variable in use of a setting that also has the original's name: `name` wins when both are set. */
  const aliased = (name: string, originalName: string) => (get(name) === undefined && get(originalName) !== undefined ? originalName : name);
  const integerOf = (name: string, raw: string, min: number, max: number): number => {
    const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(n >= min && n <= max)) bad(name, raw, `must be an integer from ${min} to ${max}`);
    return n;
  };
  const integer = (name: keyof typeof DEFAULTS, min: number, max: number) => integerOf(name, str(name), min, max);

  const dbPath = str('DB_PATH');
  const databaseUrl = get('DATABASE_URL') ?? null;
  if (databaseUrl !== null) {
    let ok = false;
    try {
      const u = new URL(databaseUrl);
      ok = (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
    } catch {
      ok = false;
    }
    // The value may hold a password: never shown.
    if (!ok) errors.push('invalid DATABASE_URL: must be postgres://user:password@host:port/database (value not shown)');
  }
  const leaderLeaseSeconds = seconds('LEADER_LEASE_SECONDS');
  const instanceRaw = get('MASTER_INSTANCE') ?? null;
  if (instanceRaw !== null && !/^[A-Za-z0-9._:-]{1,128}$/.test(instanceRaw)) bad('MASTER_INSTANCE', instanceRaw, 'must be 1–128 letters, digits or . _ : -');
  const nodesJsonPath = str('METRIC_NODES_JSON_PATH');
  const offlineThresholdSeconds = seconds('OFFLINE_THRESHOLD_SECONDS');
  const onlineThresholdSeconds = seconds('ONLINE_THRESHOLD_SECONDS');
  const schedulerIntervalSeconds = seconds('SCHEDULER_INTERVAL_SECONDS');
  if (onlineThresholdSeconds > offlineThresholdSeconds) {
    bad(
      'ONLINE_THRESHOLD_SECONDS',
      str('ONLINE_THRESHOLD_SECONDS'),
      `must not exceed OFFLINE_THRESHOLD_SECONDS (${offlineThresholdSeconds})`,
    );
  }

  const nodeIdPrefix = str('NODE_ID_PREFIX');
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(nodeIdPrefix) || /\d$/.test(nodeIdPrefix)) {
    bad('NODE_ID_PREFIX', nodeIdPrefix, 'must be 1-32 letters, digits, "_" or "-", start with a letter and not end with a digit');
  }

  const authMode = str('AUTH_MODE');
  if (authMode !== 'disabled' && authMode !== 'token') bad('AUTH_MODE', authMode, 'must be "disabled" or "token"');
  let tokens: Config['tokens'] = null;
  if (authMode === 'token') {
    const token = (name: string, required: boolean): string | null => {
      const v = get(name);
      if (v === undefined) {
        if (required) errors.push(`missing ${name} (or ${name}_FILE): AUTH_MODE=token needs it`);
        return null;
      }
      if (v.length < MIN_TOKEN_LENGTH || /\s/.test(v)) {
        errors.push(`invalid ${name}: must be at least ${MIN_TOKEN_LENGTH} characters without spaces (value not shown)`);
      }
      return v;
    };
    const enroll = token('ENROLL_TOKEN', true);
    const admin = token('ADMIN_TOKEN', true);
    const read = token('READ_TOKEN', false);
    const given = [enroll, admin, read].filter((v): v is string => v !== null);
    if (new Set(given).size !== given.length) errors.push('invalid tokens: ENROLL_TOKEN, ADMIN_TOKEN and READ_TOKEN must all differ');
    if (enroll && admin) tokens = { enroll, admin, read };
  }

  const bindName = aliased('MASTER_BIND', 'GUNICORN_BIND');
  const bindRaw = get(bindName) ?? DEFAULTS.MASTER_BIND;
  const bind = parseBind(bindRaw);
  if (!bind) bad(bindName, bindRaw, 'must be HOST:PORT, [IPV6]:PORT or :PORT with a port from 1 to 65535');

  const workersName = aliased('MASTER_WORKERS', 'GUNICORN_WORKERS');
  const workers = integerOf(workersName, get(workersName) ?? DEFAULTS.MASTER_WORKERS, 1, MAX_WORKERS);

  const logLevel = readLogLevel();

  const logRequests = parseBool(str('LOG_REQUESTS'));
  if (logRequests === undefined) bad('LOG_REQUESTS', str('LOG_REQUESTS'), 'must be true or false');
  const slowRequestSeconds = seconds('SLOW_REQUEST_SECONDS');

  const sync = str('SQLITE_SYNCHRONOUS').toLowerCase();
  if (sync !== 'normal' && sync !== 'full') bad('SQLITE_SYNCHRONOUS', sync, 'must be normal or full');

  const portsRaw = str('PROMETHEUS_SD_PORTS');
  const prometheusSdPorts = parsePorts(portsRaw);
  if (!prometheusSdPorts) bad('PROMETHEUS_SD_PORTS', portsRaw, 'must be a comma-separated list of ports from 1 to 65535');

  const maxBodyBytes = integer('MAX_BODY_BYTES', 1024, 64 * 1024 * 1024);
  const maxStreams = integer('MAX_STREAMS', 1, 1_000_000);
  const allowedHosts = (get('ALLOWED_HOSTS') ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
  const badHost = allowedHosts.find((h) => !/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(h));
  if (badHost !== undefined) bad('ALLOWED_HOSTS', get('ALLOWED_HOSTS')!, `${JSON.stringify(badHost)} is not a host name (or .domain)`);
  const requestTimeoutSeconds = seconds('REQUEST_TIMEOUT_SECONDS');
  // Days, fractions allowed (so that tests can use seconds: 0.0001 days is 8.64 s).
  const eventsRetentionDays = seconds('EVENTS_RETENTION_DAYS');
  const eventsMaxPerNode = integer('EVENTS_MAX_PER_NODE', 1, 10_000_000);
  const flapTransitions = integer('FLAP_TRANSITIONS', 2, 1000);
  const flapWindowSeconds = seconds('FLAP_WINDOW_SECONDS');
  const gcRaw = str('NODE_GC_SECONDS');
  const nodeGcSeconds = /^0+(\.0+)?$/.test(gcRaw) ? 0 : seconds('NODE_GC_SECONDS');
  const brakeOn = parseBool(str('OFFLINE_BRAKE'));
  if (brakeOn === undefined) bad('OFFLINE_BRAKE', str('OFFLINE_BRAKE'), 'must be on or off');
  const ratioRaw = str('OFFLINE_BRAKE_RATIO');
  const brakeRatio = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(ratioRaw) ? Number(ratioRaw) : Number.NaN;
  if (!(brakeRatio > 0 && brakeRatio <= 1)) bad('OFFLINE_BRAKE_RATIO', ratioRaw, 'must be a share of the online nodes, above 0 and at most 1');
  const brakeMinNodes = integer('OFFLINE_BRAKE_MIN_NODES', 1, 10_000_000);
  const brakeMaxHoldSeconds = seconds('OFFLINE_BRAKE_MAX_HOLD_SECONDS');

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      dbPath,
      databaseUrl,
      leaderLeaseSeconds,
      instance: instanceRaw,
      nodesJsonPath,
      onlineThresholdSeconds,
      offlineThresholdSeconds,
      schedulerIntervalSeconds,
      nodeIdPrefix,
      authMode: authMode as Config['authMode'],
      tokens,
      bindHost: bind!.host,
      bindPort: bind!.port,
      workers,
      logLevel,
      logRequests: logRequests!,
      slowRequestSeconds,
      sqliteSynchronous: sync as SqliteSynchronous,
      prometheusSdPorts: prometheusSdPorts!,
      prometheusFileSdPath: get('PROMETHEUS_FILE_SD_PATH') ?? null,
      maxBodyBytes,
      maxStreams,
      allowedHosts,
      requestTimeoutSeconds,
      eventsRetentionDays,
      nodeGcSeconds,
      flapTransitions,
      flapWindowSeconds,
      eventsMaxPerNode,
      offlineBrake: brakeOn ? { ratio: brakeRatio, minNodes: brakeMinNodes, maxHoldSeconds: brakeMaxHoldSeconds } : null,
    },
  };
}

/** Parses `HOST:PORT`, `[IPV6]:PORT` or `:PORT` (all interfaces); undefined when malformed. */
export function parseBind(raw: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(raw);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : m[2]!);
  return { host, port };
}

/** Parses `9100` or `9100,9400` (also used for the `?port=` query); undefined when any part is not a port. */
export function parsePorts(raw: string): number[] | undefined {
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535)) return undefined;
  return [...new Set(parts.map(Number))];
}

function parseBool(raw: string): boolean | undefined {
  const v = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return undefined;
}

/** The dns-monitor's configuration. */
export interface DnsMonitorConfig {
  confPath: string;
  scriptPath: string;
  intervalSeconds: number;
  scriptTimeoutSeconds: number;
  logLevel: LogLevel;
}

/** Defaults of the dns-monitor, by variable name. */
export const DNS_MONITOR_DEFAULTS = {
  DNS_CONF_PATH: '/private/argus/etc/dns.conf',
  DNS_UPDATE_SCRIPT: '/private/argus/etc/update-dns.sh',
  DNS_MONITOR_INTERVAL_SECONDS: '10',
  DNS_UPDATE_TIMEOUT_SECONDS: '60',
} as const;

/** Reads and validates the dns-monitor's configuration from `env`; never throws. */
export function loadDnsMonitorConfig(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: DnsMonitorConfig } | { ok: false; errors: string[] } {
  const { errors, get, seconds, logLevel } = envReader(env);
  const config: DnsMonitorConfig = {
    confPath: get('DNS_CONF_PATH') ?? DNS_MONITOR_DEFAULTS.DNS_CONF_PATH,
    scriptPath: get('DNS_UPDATE_SCRIPT') ?? DNS_MONITOR_DEFAULTS.DNS_UPDATE_SCRIPT,
    intervalSeconds: seconds('DNS_MONITOR_INTERVAL_SECONDS', DNS_MONITOR_DEFAULTS.DNS_MONITOR_INTERVAL_SECONDS),
    scriptTimeoutSeconds: seconds('DNS_UPDATE_TIMEOUT_SECONDS', DNS_MONITOR_DEFAULTS.DNS_UPDATE_TIMEOUT_SECONDS),
    logLevel: logLevel(),
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
