import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, parseBind, resolveSecretFiles } from '../../src/config.js';

function errorsOf(env: Record<string, string>): string[] {
  const r = loadConfig(env);
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : r.errors;
}

describe('loadConfig (SPEC §1)', () => {
  it('takes DATABASE_URL (postgres:// only, never shown when bad), the lease and the instance name', () => {
    const ok = loadConfig({ DATABASE_URL: 'postgres://argus:s3cret@db:5432/argus', LEADER_LEASE_SECONDS: '4.5', MASTER_INSTANCE: 'master-a' });
    assert.ok(ok.ok);
    assert.deepEqual([ok.config.databaseUrl, ok.config.leaderLeaseSeconds, ok.config.instance], ['postgres://argus:s3cret@db:5432/argus', 4.5, 'master-a']);
    const bad = loadConfig({ DATABASE_URL: 'mysql://root:s3cret@db/argus', MASTER_INSTANCE: 'a b' });
    assert.ok(!bad.ok);
    assert.ok(bad.errors.some((e) => e.startsWith('invalid DATABASE_URL')));
    assert.ok(bad.errors.every((e) => !e.includes('s3cret')), 'the password is never shown');
    assert.ok(bad.errors.some((e) => e.startsWith('invalid MASTER_INSTANCE')));
  });

  it('applies every default', () => {
    const r = loadConfig({});
    assert.ok(r.ok);
    assert.deepEqual(r.config, {
      dbPath: '/private/argus/master/db.sqlite3',
      databaseUrl: null,
      leaderLeaseSeconds: 15,
      instance: null,
      nodesJsonPath: '/private/argus/metric/prometheus/nodes.json',
      onlineThresholdSeconds: 120,
      offlineThresholdSeconds: 180,
      schedulerIntervalSeconds: 30,
      nodeIdPrefix: 'A',
      authMode: 'disabled',
      tokens: null,
      bindHost: '0.0.0.0',
      bindPort: 3000,
      workers: 2,
      logLevel: 'info',
      logRequests: false,
      slowRequestSeconds: 1,
      sqliteSynchronous: 'normal',
      prometheusSdPorts: [9100],
      prometheusFileSdPath: null,
      maxBodyBytes: 65536,
      maxStreams: 1000,
      allowedHosts: [],
      requestTimeoutSeconds: 30,
      eventsRetentionDays: 30,
      nodeGcSeconds: 0,
      flapTransitions: 5,
      flapWindowSeconds: 3600,
      eventsMaxPerNode: 1000,
      offlineBrake: { ratio: 0.5, minNodes: 10, maxHoldSeconds: 600 },
      notifyMaxAgeHours: 24,
      notifyMaxPerMinute: 30,
      publicUrl: null,
    });
  });

  it('reads every variable, fractions allowed', () => {
    const r = loadConfig({
      DB_PATH: '/tmp/a/db.sqlite3',
      METRIC_NODES_JSON_PATH: '/tmp/a/nodes.json',
      ONLINE_THRESHOLD_SECONDS: '1.5',
      OFFLINE_THRESHOLD_SECONDS: '3',
      SCHEDULER_INTERVAL_SECONDS: '0.5',
      NODE_ID_PREFIX: 'node-',
      MASTER_BIND: '127.0.0.1:3300',
      MASTER_WORKERS: '2',
      LOG_LEVEL: 'warn',
      LOG_REQUESTS: 'true',
      SLOW_REQUEST_SECONDS: '0.25',
      SQLITE_SYNCHRONOUS: 'full',
    });
    assert.ok(r.ok);
    assert.equal(r.config.onlineThresholdSeconds, 1.5);
    assert.equal(r.config.schedulerIntervalSeconds, 0.5);
    assert.equal(r.config.nodeIdPrefix, 'node-');
    assert.equal(r.config.bindHost, '127.0.0.1');
    assert.equal(r.config.bindPort, 3300);
    assert.equal(r.config.workers, 2);
    assert.equal(r.config.logLevel, 'warn');
    assert.equal(r.config.logRequests, true);
    assert.equal(r.config.slowRequestSeconds, 0.25);
    assert.equal(r.config.sqliteSynchronous, 'full');
  });

  it('reads the Prometheus discovery ports and file_sd path', () => {
    const r = loadConfig({ PROMETHEUS_SD_PORTS: '9100, 9400,9100', PROMETHEUS_FILE_SD_PATH: '/tmp/sd/argus.json' });
    assert.ok(r.ok);
    assert.deepEqual(r.config.prometheusSdPorts, [9100, 9400]);
    assert.equal(r.config.prometheusFileSdPath, '/tmp/sd/argus.json');
  });

  it('accepts the GUNICORN_* aliases, MASTER_* winning when both are set', () => {
    const alias = loadConfig({ GUNICORN_BIND: '0.0.0.0:4000', GUNICORN_WORKERS: '3' });
    assert.ok(alias.ok);
    assert.equal(alias.config.bindPort, 4000);
    assert.equal(alias.config.workers, 3);
    const both = loadConfig({ GUNICORN_BIND: '0.0.0.0:4000', MASTER_BIND: '0.0.0.0:5000', GUNICORN_WORKERS: '3', MASTER_WORKERS: '1' });
    assert.ok(both.ok);
    assert.equal(both.config.bindPort, 5000);
    assert.equal(both.config.workers, 1);
  });

  it('turns the brake off and reads its settings', () => {
    const off = loadConfig({ OFFLINE_BRAKE: 'off' });
    assert.ok(off.ok);
    assert.equal(off.config.offlineBrake, null);
    const on = loadConfig({ OFFLINE_BRAKE_RATIO: '0.3', OFFLINE_BRAKE_MIN_NODES: '50', OFFLINE_BRAKE_MAX_HOLD_SECONDS: '120', MAX_BODY_BYTES: '1048576' });
    assert.ok(on.ok);
    assert.deepEqual(on.config.offlineBrake, { ratio: 0.3, minNodes: 50, maxHoldSeconds: 120 });
    assert.equal(on.config.maxBodyBytes, 1048576);
  });

  it('treats an empty variable as unset', () => {
    const r = loadConfig({ OFFLINE_THRESHOLD_SECONDS: '', MASTER_WORKERS: ' ' });
    assert.ok(r.ok);
    assert.equal(r.config.offlineThresholdSeconds, 180);
    assert.equal(r.config.workers, 2);
  });

  const invalid: Array<[string, Record<string, string>]> = [
    ['a threshold that is not a number', { OFFLINE_THRESHOLD_SECONDS: 'abc' }],
    ['a zero threshold', { ONLINE_THRESHOLD_SECONDS: '0' }],
    ['a negative interval', { SCHEDULER_INTERVAL_SECONDS: '-1' }],
    ['an interval with a unit', { SCHEDULER_INTERVAL_SECONDS: '30s' }],
    ['online above offline', { ONLINE_THRESHOLD_SECONDS: '200', OFFLINE_THRESHOLD_SECONDS: '100' }],
    ['zero workers', { MASTER_WORKERS: '0' }],
    ['fractional workers', { MASTER_WORKERS: '1.5' }],
    ['too many workers', { GUNICORN_WORKERS: '1000' }],
    ['a bind without a port', { MASTER_BIND: '0.0.0.0' }],
    ['a bind with port 70000', { MASTER_BIND: '0.0.0.0:70000' }],
    ['a unix socket bind', { GUNICORN_BIND: 'unix:/tmp/x.sock' }],
    ['an unknown auth mode', { AUTH_MODE: 'basic' }],
    ['an ID prefix with a space', { NODE_ID_PREFIX: 'A B' }],
    ['an ID prefix ending with a digit', { NODE_ID_PREFIX: 'A1' }],
    ['an unknown log level', { LOG_LEVEL: 'loud' }],
    ['a non-boolean LOG_REQUESTS', { LOG_REQUESTS: 'maybe' }],
    ['a SLOW_REQUEST_SECONDS that is not a positive number', { SLOW_REQUEST_SECONDS: '0' }],
    ['a MAX_STREAMS of 0', { MAX_STREAMS: '0' }],
    ['an ALLOWED_HOSTS entry that is not a host name', { ALLOWED_HOSTS: 'argus.example, http://x/' }],
    ['an unknown synchronous mode', { SQLITE_SYNCHRONOUS: 'off' }],
    ['a discovery port that is not a number', { PROMETHEUS_SD_PORTS: '9100,node' }],
    ['a discovery port of 0', { PROMETHEUS_SD_PORTS: '0' }],
    ['a tiny body limit', { MAX_BODY_BYTES: '10' }],
    ['a brake switch that is not on/off', { OFFLINE_BRAKE: 'maybe' }],
    ['a brake ratio above 1', { OFFLINE_BRAKE_RATIO: '1.5' }],
    ['a brake ratio of 0', { OFFLINE_BRAKE_RATIO: '0' }],
    ['a brake minimum of 0 nodes', { OFFLINE_BRAKE_MIN_NODES: '0' }],
    ['a negative brake hold', { OFFLINE_BRAKE_MAX_HOLD_SECONDS: '-5' }],
  ];
  for (const [name, env] of invalid) {
    it(`rejects ${name}, naming the variable and the value`, () => {
      const errors = errorsOf(env);
      assert.equal(errors.length, 1, errors.join('\n'));
      const [variable, value] = Object.entries(env).at(-1)!;
      const named = Object.keys(env).some((k) => errors[0]!.includes(`${k}=`));
      assert.ok(named, errors[0]);
      if (Object.keys(env).length === 1) assert.match(errors[0]!, new RegExp(`^invalid ${variable}="${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": `));
    });
  }

  it('reports every bad variable at once, one line each', () => {
    const errors = errorsOf({ OFFLINE_THRESHOLD_SECONDS: 'x', MASTER_WORKERS: 'y', MASTER_BIND: 'z' });
    assert.equal(errors.length, 3);
    assert.ok(errors.every((e) => !e.includes('\n')));
  });
});

describe('parseBind', () => {
  it('parses host:port, [ipv6]:port and :port', () => {
    assert.deepEqual(parseBind('127.0.0.1:3300'), { host: '127.0.0.1', port: 3300 });
    assert.deepEqual(parseBind('[::1]:8080'), { host: '::1', port: 8080 });
    assert.deepEqual(parseBind(':3000'), { host: '0.0.0.0', port: 3000 });
    assert.deepEqual(parseBind('localhost:1'), { host: 'localhost', port: 1 });
  });
  it('rejects port 0 and garbage', () => {
    assert.equal(parseBind('127.0.0.1:0'), undefined);
    assert.equal(parseBind('::1:80'), undefined);
    assert.equal(parseBind('host:port'), undefined);
  });
});

describe('AUTH_MODE=token settings', () => {
  const enroll = 'enroll-0123456789abcdef';
  const admin = 'admin-0123456789abcdef';
  it('reads the tokens', () => {
    const r = loadConfig({ AUTH_MODE: 'token', ENROLL_TOKEN: enroll, ADMIN_TOKEN: admin });
    assert.ok(r.ok);
    assert.equal(r.config.authMode, 'token');
    assert.deepEqual(r.config.tokens, { enroll, admin, read: null });
  });
  it('refuses to start without the enrollment or the admin token', () => {
    const r = loadConfig({ AUTH_MODE: 'token', ENROLL_TOKEN: enroll });
    assert.ok(!r.ok);
    assert.deepEqual(r.errors, ['missing ADMIN_TOKEN (or ADMIN_TOKEN_FILE): AUTH_MODE=token needs it']);
    const none = loadConfig({ AUTH_MODE: 'token' });
    assert.ok(!none.ok);
    assert.equal(none.errors.length, 2);
  });
  it('refuses short and equal tokens without printing them', () => {
    const short = loadConfig({ AUTH_MODE: 'token', ENROLL_TOKEN: 'short', ADMIN_TOKEN: admin });
    assert.ok(!short.ok);
    assert.match(short.errors[0]!, /^invalid ENROLL_TOKEN: must be at least 16 characters/);
    assert.ok(!short.errors[0]!.includes('short"'));
    const same = loadConfig({ AUTH_MODE: 'token', ENROLL_TOKEN: admin, ADMIN_TOKEN: admin });
    assert.ok(!same.ok);
    assert.match(same.errors[0]!, /must all differ/);
  });
  it('ignores the tokens with auth disabled', () => {
    const r = loadConfig({ ENROLL_TOKEN: 'x' });
    assert.ok(r.ok);
    assert.equal(r.config.tokens, null);
  });
  it('reads *_FILE secrets, trimming one trailing newline', () => {
    const files: Record<string, string> = { '/run/secrets/admin': `${admin}\n` };
    const read = (p: string) => {
      if (!(p in files)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return files[p]!;
    };
    const ok = resolveSecretFiles({ ADMIN_TOKEN_FILE: '/run/secrets/admin', ENROLL_TOKEN: enroll }, read);
    assert.deepEqual(ok.errors, []);
    assert.equal(ok.env.ADMIN_TOKEN, admin);
    const missing = resolveSecretFiles({ READ_TOKEN_FILE: '/nope' }, read);
    assert.deepEqual(missing.errors, ['invalid READ_TOKEN_FILE="/nope": cannot read it (ENOENT)']);
    const both = resolveSecretFiles({ ADMIN_TOKEN_FILE: '/run/secrets/admin', ADMIN_TOKEN: admin }, read);
    assert.match(both.errors[0]!, /ADMIN_TOKEN is set too/);
  });
});
