// SQLite NodeStore (better-sqlite3). Guarantees:
// - WAL mode; every write runs in a BEGIN IMMEDIATE transaction, so read-modify-write steps and ID
//   allocation are atomic across all processes that open the same file (busy waits up to 10 s).
// - A method resolves only after its transaction committed: with synchronous=NORMAL in WAL mode a
//   committed write survives a crash of the process (not necessarily a power loss; FULL survives both).
// - Migrations (migrations/sqlite/NNN-*.sql) are applied in order at open, once, recorded in kv.
import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeRecord, NodeSummary, StatusCount, StatusTransition } from '../domain/node.js';
import type { NodeStatus } from '../domain/status.js';
import { isScrapeHost, sanitizeLabelName } from '../domain/prometheus-sd.js';
import { AppError } from '../errors.js';
import { createGroupCommit } from './group-commit.js';
import type { StorageHealthSink } from './health.js';
import { jsonIsBad, repairJson, repairText, textIsBad } from './text-repair.js';
import type { NodeStore, RegisterOptions, RegisterOutcome } from './store.js';

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  path: string;
  synchronous?: 'normal' | 'full';
  /** Where database failures and recovered writes are reported (logs, metrics, readiness). */
  health?: StorageHealthSink;
  /** How long opening and migrating wait for a lock; afterwards every write goes through the group commit (busy timeout 0, async retries). */
  busyTimeoutMs?: number;
}

const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/sqlite/', import.meta.url));
const KV_SCHEMA_VERSION = 'schema_version';
const KV_ID_COUNTER = 'node_id_counter';
/** Transitions per sweep transaction: bounds how long one sweep step holds the lock and the event loop. */
const SWEEP_CHUNK = 250;
/** Nodes per step of a published document: bounds a stall (~5–7 ms each on a 2-core machine). */
const NODES_FILE_STEP = 2_500;
const TARGET_GROUPS_STEP = 1_000;
/**
 * Published documents are built by SQLite itself, a step at a time (parsing every node's meta_data in
 * JavaScript was most of the time of a 100,000-node nodes.json, and 100,000 row objects alone cost
 * 0.3 s). A step looks at the next `@limit` nodes after seq `@after` (a range scan of the `seq` index),
 * whatever their status, so that a step's work is bounded even when few nodes match (filtering in the
 * scan instead let one step run through every node: 20–70 ms at 100,000 mostly offline nodes), and
 * answers `part` (a JSON array of the matching ones, as a BLOB so better-sqlite3 hands over a Buffer,
 * not a string), `items` (its entries), `scanned` (nodes looked at) and `last` (the highest seq).
 */
interface StepRow {
  part: Buffer;
  items: number;
  scanned: number;
  last: number | null;
  /** Discovery only: selected nodes left out for a host that is not a scrape host, and their IDs. */
  invalid?: number;
  invalid_ids?: string;
}
/** IDs of left-out nodes a document names at most (the count is complete). */
const INVALID_IDS_KEPT = 20;
/** meta_data field `f` when it is a string, else '' (the domain's `str`). */
const metaText = (f: string) => `CASE WHEN json_type(meta_data, '$.${f}') = 'text' THEN meta_data ->> '$.${f}' ELSE '' END`;
/** nodes.json: entries exactly as domain/nodes-file-entry.ts. */
const NODES_FILE_STEP_SQL = `
  SELECT CAST(json_group_array(json_object(
           'node_id', id, 'user_id', ${metaText('user')}, 'ip', ${metaText('ip')}, 'hostname', ${metaText('hostname')},
           'labels', json(label)) ORDER BY seq) FILTER (WHERE status = 'online') AS BLOB) AS part,
         count(*) FILTER (WHERE status = 'online') AS items, count(*) AS scanned, max(seq) AS last
  FROM (SELECT seq, id, status, meta_data, label FROM nodes WHERE seq > @after ORDER BY seq LIMIT @limit)`;
/** A target's host: meta_data.ip, else meta_data.hostname, else '' (no group). */
const TARGET_HOST = `CASE WHEN ${metaText('ip')} <> '' THEN ${metaText('ip')} ELSE ${metaText('hostname')} END`;
/**
 * Prometheus target groups: exactly domain/prometheus-sd.ts `toTargetGroups` (no group for a node with
 * neither ip nor hostname, or whose host is not a valid scrape host (argus_scrape_host, the domain's
 * `isScrapeHost`); label names sanitised by argus_label_name). Parameters: @statuses, @labels (every one
 * required), @ports, as JSON arrays. A node's host is computed once, and only for the nodes selected
 * (the CTE is materialised, so SQLite does not substitute the expression into every use); `invalid`
 * counts the selected nodes left out for their host, `invalid_ids` names up to 20 of them.
 */
const TARGET_GROUPS_STEP_SQL = `
  WITH page AS MATERIALIZED (
    SELECT seq, id, name, version, status, label, meta_data,
           status IN (SELECT value FROM json_each(@statuses))
             AND NOT EXISTS (SELECT 1 FROM json_each(@labels) w WHERE w.value NOT IN (SELECT value FROM json_each(nodes.label))) AS selected
    FROM nodes WHERE seq > @after ORDER BY seq LIMIT @limit
  ), hosted AS MATERIALIZED (
    SELECT page.*, CASE WHEN selected THEN ${TARGET_HOST} END AS host FROM page
  ), judged AS MATERIALIZED (
    SELECT hosted.*, selected AND host <> '' AND argus_scrape_host(host) AS listed FROM hosted
  )
  SELECT CAST(json_group_array(json_object(
           'targets', (SELECT json_group_array(CASE WHEN instr(host, ':') > 0 THEN '[' || host || ']:' || p.value ELSE host || ':' || p.value END)
                       FROM json_each(@ports) p),
           'labels', json_patch(
             json_object('__meta_argus_node_id', id, '__meta_argus_name', name, '__meta_argus_hostname', ${metaText('hostname')},
                         '__meta_argus_user', ${metaText('user')}, '__meta_argus_instance', ${metaText('instance')},
                         '__meta_argus_env', ${metaText('env')}, '__meta_argus_version', version, '__meta_argus_status', status,
                         '__meta_argus_labels', ',' || coalesce((SELECT group_concat(value, ',') FROM json_each(label)), '') || ','),
             (SELECT json_group_object('__meta_argus_label_' || argus_label_name(value), 'true') FROM json_each(label)))
         ) ORDER BY seq) FILTER (WHERE listed) AS BLOB) AS part,
         count(*) FILTER (WHERE listed) AS items, count(*) AS scanned, max(seq) AS last,
         count(*) FILTER (WHERE selected AND host <> '' AND NOT listed) AS invalid,
         json_group_array(id) FILTER (WHERE selected AND host <> '' AND NOT listed) AS invalid_ids
  FROM judged`;
/**
 * The change version: bumped in every transaction that changes what GET /nodes, the statistics or the
 * discovery documents show (status, type, version, labels, meta_data, a new node), in any process.
 */
const KV_LIST_VERSION = 'list_version';

/** A node a sweep chunk changes. */
interface ChunkRow {
  rowid: number;
  id: string;
  from: NodeStatus;
  seq: number;
}

interface NodeRow {
  id: string;
  seq: number;
  name: string;
  type: string;
  version: string;
  status: NodeStatus;
  config: string;
  label: string;
  meta_data: string;
  health: string;
  register_time: number;
  last_report: number | null;
  agent_last_report: number | null;
  last_updated: number;
  token_hash: string | null;
}

function fromRow(r: NodeRow): NodeRecord {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    version: r.version,
    status: r.status,
    config: JSON.parse(r.config) as NodeRecord['config'],
    label: JSON.parse(r.label) as string[],
    metaData: JSON.parse(r.meta_data) as NodeRecord['metaData'],
    health: JSON.parse(r.health) as NodeRecord['health'],
    registerTimeMs: r.register_time,
    lastReportMs: r.last_report,
    agentLastReportMs: r.agent_last_report,
    lastUpdatedMs: r.last_updated,
    tokenHash: r.token_hash,
  };
}

/**
 * The columns (and their new values) where `after` differs from the stored `row`. JSON fields are
 * serialised only when the mutation replaced the object. `id`, `seq`, `name`, `register_time` are
 * identity and never written by an update.
 */
function changedColumns(row: NodeRow, before: NodeRecord, after: NodeRecord): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  const scalar = (column: keyof NodeRow, value: string | number | null) => {
    if (value !== row[column]) out[column] = value;
  };
  const json = (column: keyof NodeRow, b: unknown, a: unknown) => {
    if (a === b) return;
    const text = JSON.stringify(a);
    if (text !== row[column]) out[column] = text;
  };
  scalar('type', after.type);
  scalar('version', after.version);
  scalar('status', after.status);
  json('config', before.config, after.config);
  json('label', before.label, after.label);
  json('meta_data', before.metaData, after.metaData);
  json('health', before.health, after.health);
  scalar('last_report', after.lastReportMs);
  scalar('agent_last_report', after.agentLastReportMs);
  scalar('last_updated', after.lastUpdatedMs);
  scalar('token_hash', after.tokenHash);
  return out;
}

function toParams(n: NodeRecord) {
  return {
    id: n.id,
    name: n.name,
    type: n.type,
    version: n.version,
    status: n.status,
    config: JSON.stringify(n.config),
    label: JSON.stringify(n.label),
    meta_data: JSON.stringify(n.metaData),
    health: JSON.stringify(n.health),
    register_time: n.registerTimeMs,
    last_report: n.lastReportMs,
    agent_last_report: n.agentLastReportMs,
    last_updated: n.lastUpdatedMs,
    token_hash: n.tokenHash,
  };
}

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|PROTOCOL|CORRUPT|NOTADB)/;

/**
 * Turns a failure of the database itself (busy, I/O, full, closed) into a typed 503; other errors pass.
 * Every SQLite error is reported to `health` (logged and counted there).
 */
function translate(err: unknown, health: StorageHealthSink | undefined, kind: 'read' | 'write'): never {
  const e = err as { code?: string; message?: string };
  const closed = e.message === 'The database connection is not open';
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_')) health?.failed(e.code, kind, e.message ?? e.code);
  else if (closed) health?.failed('SQLITE_CLOSED', kind, e.message!);
  if ((typeof e.code === 'string' && UNAVAILABLE_CODES.test(e.code)) || closed) {
    throw new AppError('UNAVAILABLE', `storage unavailable: ${e.code ?? e.message}`);
  }
  throw err;
}

/** A migration file: its number and SQL. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads the numbered migrations shipped with the package, in order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}-.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(`${dir}/${f}`, 'utf8') }));
}

/** Applies pending migrations inside one IMMEDIATE transaction; refuses a database newer than the code. */
export function migrate(db: Database.Database, migrations: Migration[] = loadMigrations()): { from: number; to: number } {
  registerMigrationFunctions(db);
  return db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT');
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(KV_SCHEMA_VERSION) as { value: string } | undefined;
    const from = row ? Number(row.value) : 0;
    const latest = migrations.at(-1)?.version ?? 0;
    if (from > latest) {
      throw new Error(`database schema version ${from} is newer than this program knows (${latest}); refusing to start`);
    }
    for (const m of migrations) {
      if (m.version > from) db.exec(m.sql);
    }
    db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
      KV_SCHEMA_VERSION,
      String(latest),
    );
    db.prepare("INSERT INTO kv (key, value) VALUES (?, '0') ON CONFLICT (key) DO NOTHING").run(KV_ID_COUNTER);
    db.prepare("INSERT INTO kv (key, value) VALUES (?, '0') ON CONFLICT (key) DO NOTHING").run(KV_LIST_VERSION);
    return { from, to: latest };
  }).immediate();
}

/** What every connection of the store gets: the page cache size and the SQL functions the queries use. */
function setUpConnection(db: Database.Database): void {
  // SQLite's own default page cache (2 MiB) instead of better-sqlite3's 16 MiB: in WAL mode a
  // connection drops its cache whenever another process has committed, which with several writing
  // workers is nearly every transaction, so a large cache held memory (16 MiB per process once a
  // 100,000-node list or nodes.json had passed through it) without saving reads.
  db.pragma('cache_size = -2000');
  db.function('argus_label_name', { deterministic: true }, (name) => sanitizeLabelName(String(name)));
  db.function('argus_scrape_host', { deterministic: true }, (host) => (isScrapeHost(String(host)) ? 1 : 0));
}

/** The SQL functions migrations use (004 passes the stored bytes: text that is not UTF-8, as a BLOB). */
function registerMigrationFunctions(db: Database.Database): void {
  db.function('argus_text_is_bad', { deterministic: true }, (v: unknown) => (textIsBad(v) ? 1 : 0));
  db.function('argus_repair_text', { deterministic: true }, repairText);
  db.function('argus_json_is_bad', { deterministic: true }, (v: unknown) => (jsonIsBad(v) ? 1 : 0));
  db.function('argus_repair_json', { deterministic: true }, repairJson);
}

/** Opens (creating its directory and schema as needed) a SQLite store at `options.path`. */
export function openSqliteStore(options: SqliteStoreOptions): NodeStore & { readonly db: Database.Database } {
  if (options.path !== ':memory:') {
    mkdirSync(dirname(options.path), { recursive: true });
    // A new database is readable by its owner only (node tokens are hashed, but the fleet's inventory is
    // not for every local user); SQLite gives its -wal and -shm files the same mode.
    try {
      closeSync(openSync(options.path, 'wx', 0o600));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 10_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    setUpConnection(db);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }

  const q = {
    byId: db.prepare<[string], NodeRow>('SELECT * FROM nodes WHERE id = ?'),
    byName: db.prepare<[string], NodeRow>('SELECT * FROM nodes WHERE name = ?'),
    tokenHash: db.prepare<[string], { token_hash: string | null }>('SELECT token_hash FROM nodes WHERE id = ?'),
    nextId: db.prepare<[], { value: string }>(
      `UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${KV_ID_COUNTER}' RETURNING value`,
    ),
    insert: db.prepare(
      `INSERT INTO nodes (id, seq, name, type, version, status, config, label, meta_data, health,
                          register_time, last_report, agent_last_report, last_updated, token_hash)
       VALUES (@id, @seq, @name, @type, @version, @status, @config, @label, @meta_data, @health,
               @register_time, @last_report, @agent_last_report, @last_updated, @token_hash)`,
    ),
    // `id`, `seq`, `name` and `register_time` are identity and never change.
    write: db.prepare(
      `UPDATE nodes SET type = @type, version = @version, status = @status, config = @config, label = @label,
              meta_data = @meta_data, health = @health, last_report = @last_report,
              agent_last_report = @agent_last_report, last_updated = @last_updated, token_hash = @token_hash
       WHERE id = @id`,
    ),
    // GET /nodes as one JSON document built by SQLite: at 100,000 nodes no row objects are made.
    // As a BLOB, better-sqlite3 copies it into a Buffer: no 8.7 MB string on the JavaScript heap.
    listDocument: db.prepare<[], { doc: Buffer }>(
      `SELECT CAST(json_group_array(json_object('id', id, 'name', name, 'status', status, 'type', type, 'version', version) ORDER BY seq) AS BLOB) AS doc
       FROM nodes`,
    ),
    listVersion: db.prepare<[], { value: string }>(`SELECT value FROM kv WHERE key = '${KV_LIST_VERSION}'`),
    bumpListVersion: db.prepare(`UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${KV_LIST_VERSION}'`),
    stats: db.prepare<[], StatusCount>('SELECT status, count(*) AS count FROM nodes GROUP BY status ORDER BY status'),
    // A sweep works in chunks: pick up to `limit` nodes to change (a range scan of the status index),
    // change exactly those, commit, yield to the event loop, repeat.
    offlineChunk: db.prepare<[{ cutoff: number; limit: number }], ChunkRow>(
      `SELECT rowid, id, status AS "from", seq FROM nodes
       WHERE status IN ('initialized', 'online') AND last_report < @cutoff LIMIT @limit`,
    ),
    onlineChunk: db.prepare<[{ cutoff: number; limit: number }], ChunkRow>(
      `SELECT rowid, id, status AS "from", seq FROM nodes
       WHERE status IN ('initialized', 'offline') AND last_report >= @cutoff LIMIT @limit`,
    ),
    setStatus: db.prepare<[{ status: NodeStatus; now: number; rowids: string }]>(
      'UPDATE nodes SET status = @status, last_updated = @now WHERE rowid IN (SELECT value FROM json_each(@rowids))',
    ),
    preview: db.prepare<[{ cutoff: number }], { goingOffline: number; online: number }>(
      `SELECT count(*) FILTER (WHERE last_report < @cutoff) AS goingOffline, count(*) AS online
       FROM nodes WHERE status = 'online'`,
    ),
    // Operational state lives in kv under a `state:` prefix, apart from the counter and schema version.
    putState: db.prepare<[string, string]>(
      "INSERT INTO kv (key, value) VALUES ('state:' || ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ),
    getState: db.prepare<[string], { value: string }>("SELECT value FROM kv WHERE key = 'state:' || ?"),
  };

  // Registrations and updates are group-committed (group-commit.ts): each runs in its own savepoint
  // inside one transaction per event-loop turn, and resolves only after that transaction committed.
  const batch = createGroupCommit(db);
  const health = options.health;
  /** A write through the group commit; its failures are translated and reported, its success too. */
  const write = <T>(run: () => T): Promise<T> =>
    batch(run).then(
      (value) => {
        health?.writeSucceeded();
        return value;
      },
      (err: unknown) => translate(err, health, 'write'),
    );
  /** Runs a read, translating and reporting database failures. */
  const guarded = async <T>(op: () => T): Promise<T> => {
    try {
      return op();
    } catch (err) {
      return translate(err, health, 'read');
    }
  };
  const registerTx = (input: Parameters<NodeStore['register']>[0], nowMs: number, idPrefix: string, options: RegisterOptions): RegisterOutcome => {
    let existing: NodeRow | undefined;
    if (input.id !== null) {
      existing = q.byId.get(input.id);
      if (!existing) return { kind: 'unknown-id' };
      // The right is checked before the name: a caller who may not touch this node learns nothing of it.
      options.guard?.(fromRow(existing));
      if (existing.name !== input.name) return { kind: 'name-mismatch', storedName: existing.name };
    } else {
      existing = q.byName.get(input.name);
      options.guard?.(existing ? fromRow(existing) : null);
    }
    if (existing) {
      const before = fromRow(existing);
      const node: NodeRecord = {
        ...before,
        type: input.type,
        version: input.version,
        metaData: input.metaData,
        lastUpdatedMs: nowMs,
      };
      q.write.run(toParams(node));
      if (node.type !== before.type || node.version !== before.version || JSON.stringify(node.metaData) !== existing.meta_data) q.bumpListVersion.run();
      return { kind: 'updated', before, node };
    }
    const seq = Number(q.nextId.get()!.value);
    const id = `${idPrefix}${seq}`;
    const node: NodeRecord = {
      id,
      name: input.name,
      type: input.type,
      version: input.version,
      status: 'initialized',
      config: {},
      label: [],
      metaData: input.metaData,
      health: {},
      registerTimeMs: nowMs,
      lastReportMs: null,
      agentLastReportMs: null,
      lastUpdatedMs: nowMs,
      tokenHash: options.tokenHashFor?.(id) ?? null,
    };
    q.insert.run({ ...toParams(node), seq });
    q.bumpListVersion.run();
    return { kind: 'created', node };
  };

  // An update writes only the columns the mutation changed (one statement per set of columns, prepared
  // once): a status report then rewrites neither config, labels nor meta_data, nor the status index.
  const writeChanged = new Map<string, Database.Statement>();
  const updateTx = (id: string, mutate: (n: NodeRecord) => NodeRecord) => {
    const row = q.byId.get(id);
    if (!row) return null;
    const before = fromRow(row);
    const after = mutate(before);
    const changed = changedColumns(row, before, after);
    const columns = Object.keys(changed);
    if (columns.length > 0) {
      const key = columns.join(',');
      let stmt = writeChanged.get(key);
      if (!stmt) {
        stmt = db.prepare(`UPDATE nodes SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`);
        writeChanged.set(key, stmt);
      }
      stmt.run({ ...changed, id: before.id });
      if ('status' in changed || 'type' in changed || 'version' in changed || 'label' in changed || 'meta_data' in changed) q.bumpListVersion.run();
    }
    return { before, after };
  };

  /** One chunk of a sweep (committed with the writes of its batch): at most SWEEP_CHUNK transitions. */
  const sweepChunk = (to: 'offline' | 'online', cutoff: number, nowMs: number) => {
    const rows = (to === 'offline' ? q.offlineChunk : q.onlineChunk).all({ cutoff, limit: SWEEP_CHUNK });
    if (rows.length === 0) return rows;
    q.setStatus.run({ status: to, now: nowMs, rowids: JSON.stringify(rows.map((r) => r.rowid)) });
    q.bumpListVersion.run();
    return rows;
  };
  // Work per chunk only (a sort of 250, the caller's `onChunk`), so that a sweep of 100,000
  // transitions never blocks the event loop for long: no sort or pass over all of them at the end.
  const sweepAll = async (offlineBeforeMs: number, onlineSinceMs: number, nowMs: number, onChunk?: (t: StatusTransition[]) => void): Promise<StatusTransition[]> => {
    const all: StatusTransition[] = [];
    for (const [to, cutoff] of [['offline', offlineBeforeMs], ['online', onlineSinceMs]] as const) {
      // Bounded: each chunk changes its rows so they are not picked again; the node count bounds it.
      for (let round = 0; round < 1_000_000; round++) {
        const rows = await write(() => sweepChunk(to, cutoff, nowMs));
        const transitions = rows.sort((x, y) => x.seq - y.seq).map((r): StatusTransition => ({ id: r.id, from: r.from, to }));
        if (transitions.length > 0) onChunk?.(transitions);
        for (const t of transitions) all.push(t);
        if (rows.length < SWEEP_CHUNK) break;
        await new Promise((r) => setImmediate(r));
      }
    }
    return all;
  };

  const versioned = <T>() => {
    let cached: { version: string; value: T } | null = null;
    return {
      get(query: () => T): T {
        const version = q.listVersion.get()!.value;
        if (cached?.version !== version) cached = { version, value: query() };
        return cached.value;
      },
    };
  };
  const listCache = versioned<Buffer>();
  const statsCache = versioned<StatusCount[]>();

  // Published documents are built on a read-only connection of their own, in steps with the event loop
  // free between them, all inside one read transaction (one consistent snapshot; in WAL mode it blocks
  // no writer). At 100,000 nodes nodes.json in one statement blocked the process for ~0.3 s, and the
  // discovery document through JavaScript objects for ~1 s. An in-memory database has no second
  // connection: there a document is built in one step on the main one. Builds run one at a time.
  const inMemory = options.path === ':memory:';
  let reader: Database.Database | null = null;
  const steps = new Map<string, Database.Statement<[Record<string, unknown>], StepRow>>();
  let readQueue: Promise<unknown> = Promise.resolve();
  const buildInSteps = async (sql: string, stepSize: number, params: Record<string, unknown>): Promise<{ parts: Buffer[]; items: number; version: string; invalid: { count: number; nodeIds: string[] } }> => {
    if (!db.open) throw new TypeError('The database connection is not open');
    if (!inMemory && !reader) {
      reader = new Database(options.path, { readonly: true, fileMustExist: true });
      setUpConnection(reader);
    }
    let step = steps.get(sql);
    if (!step) steps.set(sql, (step = (reader ?? db).prepare(sql)));
    const limit = inMemory ? Number.MAX_SAFE_INTEGER : stepSize;
    const parts: Buffer[] = [Buffer.from('[')];
    let items = 0;
    const invalid = { count: 0, nodeIds: [] as string[] };
    let version = '';
    reader?.exec('BEGIN');
    try {
      // The version of the snapshot the document is built from (read inside the read transaction).
      version = ((reader ?? db).prepare(`SELECT value FROM kv WHERE key = '${KV_LIST_VERSION}'`).get() as { value: string }).value;
      // Bounded: every step moves `after` forward; the node count bounds it.
      for (let after = -1, round = 0; round < 1_000_000; round++) {
        const r = step.get({ ...params, after, limit })!;
        if (r.items > 0) {
          if (items > 0) parts.push(Buffer.from(','));
          parts.push(r.part.subarray(1, r.part.length - 1));
        }
        items += r.items;
        if (r.invalid) {
          invalid.count += r.invalid;
          for (const id of JSON.parse(r.invalid_ids ?? '[]') as string[]) if (invalid.nodeIds.length < INVALID_IDS_KEPT) invalid.nodeIds.push(id);
        }
        if (r.scanned < limit || r.last === null) break;
        after = r.last;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      if (reader?.inTransaction) reader.exec('COMMIT');
    }
    parts.push(Buffer.from(']'));
    return { parts, items, version, invalid };
  };
  const stepped = (sql: string, stepSize: number, params: Record<string, unknown> = {}) => {
    const next = readQueue.then(() => buildInSteps(sql, stepSize, params)).catch((err: unknown) => translate(err, health, 'read'));
    readQueue = next.catch(() => undefined);
    return next;
  };

  return {
    db,
    register: (input, nowMs, idPrefix, options = {}) => write(() => registerTx(input, nowMs, idPrefix, options)),
    update: (id, mutate) => write(() => updateTx(id, mutate)),
    get: (id) => guarded(() => {
      const row = q.byId.get(id);
      return row ? fromRow(row) : null;
    }),
    // The list and the statistics are cached until the list version moves (read before the query, so a
    // change committed in between only causes one more refresh, never a stale cache). The list is kept
    // as UTF-8 bytes outside the JavaScript heap (8.7 MB at 100,000 nodes) and sent as is.
    tokenHash: (id) => guarded(() => q.tokenHash.get(id)?.token_hash ?? null),
    listDocument: () => guarded(() => listCache.get(() => q.listDocument.get()!.doc)),
    list: () => guarded(() => JSON.parse(q.listDocument.get()!.doc.toString('utf8')) as NodeSummary[]),
    statistics: () => guarded(() => statsCache.get(() => q.stats.all())),
    sweep: (cutoffs, nowMs, onChunk) => sweepAll(cutoffs.offlineBeforeMs, cutoffs.onlineSinceMs, nowMs, onChunk),
    nodesFileDocument: async () => {
      const { parts, items } = await stepped(NODES_FILE_STEP_SQL, NODES_FILE_STEP);
      parts.push(Buffer.from('\n'));
      return { parts, nodes: items };
    },
    targetGroupsDocument: async (query) => {
      const { parts, items, version, invalid } = await stepped(TARGET_GROUPS_STEP_SQL, TARGET_GROUPS_STEP, {
        statuses: JSON.stringify(query.statuses),
        labels: JSON.stringify(query.labels),
        ports: JSON.stringify(query.ports),
      });
      return { parts, groups: items, version, invalidHosts: invalid };
    },
    changeVersion: () => guarded(() => q.listVersion.get()!.value),
    sweepPreview: (cutoffs) => guarded(() => q.preview.get({ cutoff: cutoffs.offlineBeforeMs })!),
    putState: (key, value) =>
      write(() => {
        q.putState.run(key, value);
      }),
    getState: (key) => guarded(() => q.getState.get(key)?.value ?? null),
    async close() {
      await readQueue;
      if (reader?.open) reader.close();
      if (db.open) db.close();
    },
  };
}
