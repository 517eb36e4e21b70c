// The defaults of every setting of the master (SPEC §1 and beyond), in one place.

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
  NOTIFY_MAX_AGE_HOURS: '24',
  NOTIFY_MAX_PER_MINUTE: '30',
} as const;

