import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { renderNodesFile } from '../../src/domain/nodes-file-entry.js';
import type { StatusTransition } from '../../src/domain/node.js';
import { loadMigrations, migrate, openSqliteStore } from '../../src/storage/sqlite/index.js';
import type { NodeStore } from '../../src/storage/store.js';
import { EVENT_SQL } from '../../src/storage/sqlite/reads.js';

/** The schema version of the newest migration shipped. */
const LATEST = loadMigrations().at(-1)!.version;
import { tempDir } from '../helpers/fixtures.js';
import { strictJson } from '../helpers/strict-json.js';
import { describeNodeStoreContract, recordsWithStatus } from './contract.js';
import { summaries } from '../helpers/fixtures.js';

describeNodeStoreContract('sqlite', async () => {
  const t = tempDir();
  const path = join(t.dir, 'sub/db.sqlite3');
  let store: NodeStore = openSqliteStore({ path });
  return {
    store,
    async reopen() {
      await store.close();
      store = openSqliteStore({ path });
      return store;
    },
    async cleanup() {
      await store.close();
      t.cleanup();
    },
  };
});

describe('SQLite store specifics', () => {
  it('uses WAL and records the schema version and the ID counter in kv', async () => {
    const t = tempDir();
    const store = openSqliteStore({ path: join(t.dir, 'db.sqlite3') });
    await store.register({ id: null, name: 'n', type: 't', version: 'v', metaData: {} }, 0, 'A');
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    const kv = store.db.prepare('SELECT key, value FROM kv ORDER BY key').all();
    assert.deepEqual(kv, [
      { key: 'event_id_counter', value: '1' },
      { key: 'history_buckets_from', value: '0' },
      { key: 'history_cursor', value: '0' },
      { key: 'history_from', value: '0' },
      { key: 'list_version', value: '1' },
      { key: 'maintenance_id_counter', value: '0' },
      { key: 'node_id_counter', value: '1' },
      { key: 'notify_cursor', value: '0' },
      { key: 'notify_endpoint_counter', value: '0' },
      { key: 'publish_version', value: '0' },
      { key: 'retention_cursor', value: '0' },
      { key: 'schema_version', value: String(LATEST) },
    ]);
    await store.close();
    t.cleanup();
  });

  it('never serves a stale cached list or statistics when another connection (process) changes them', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const a = openSqliteStore({ path });
    const b = openSqliteStore({ path });
    const reg = (name: string) => ({ id: null, name, type: 'agent', version: '1', metaData: {} });
    await a.register(reg('n1'), 0, 'A');
    assert.deepEqual((await summaries(b)).map((n) => n.id), ['A1']);
    assert.equal(await b.listDocument(), await b.listDocument(), 'unchanged: the same cached document');
    await a.register(reg('n2'), 0, 'A');
    assert.deepEqual((await summaries(b)).map((n) => n.id), ['A1', 'A2']);
    await a.update('A1', (n) => ({ ...n, status: 'online', lastReportMs: 1 }));
    assert.equal((await summaries(b))[0]!.status, 'online');
    assert.equal(JSON.parse((await b.listDocument()).toString())[0].status, 'online', 'the cached document moved too');
    assert.deepEqual(await b.statistics(), [{ status: 'initialized', count: 1 }, { status: 'online', count: 1 }]);
    await a.sweep({ onlineSinceMs: 10_000, offlineBeforeMs: 5 }, 20_000);
    assert.equal((await summaries(b))[0]!.status, 'offline');
    assert.deepEqual(await b.statistics(), [{ status: 'initialized', count: 1 }, { status: 'offline', count: 1 }]);
    await a.register(reg('n2'), 0, 'A').then(() => a.register({ ...reg('n2'), version: '2' }, 0, 'A'));
    assert.equal((await summaries(b))[1]!.version, '2');
    await a.close();
    await b.close();
    t.cleanup();
  });

  it('creates the database file, its WAL and shared memory readable by the owner only (0600)', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const store = openSqliteStore({ path });
    await store.register({ id: null, name: 'n', type: 't', version: 'v', metaData: {} }, 0, 'A');
    for (const f of [path, `${path}-wal`, `${path}-shm`]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    await store.close();
    t.cleanup();
  });

  it('refuses a database whose schema is newer than the code', () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const db = new Database(path);
    migrate(db);
    db.prepare("UPDATE kv SET value = '999' WHERE key = 'schema_version'").run();
    db.close();
    assert.throws(() => openSqliteStore({ path }), /newer than this program knows/);
    t.cleanup();
  });

  it('upgrades a version-1 database with its data', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const db = new Database(path);
    migrate(db, loadMigrations().filter((m) => m.version === 1));
    db.prepare(`INSERT INTO nodes (id, seq, name, type, version, status, register_time, last_updated)
                VALUES ('A1', 1, 'old', 'agent', '1', 'online', 0, 0)`).run();
    db.prepare("UPDATE kv SET value = '1' WHERE key = 'node_id_counter'").run();
    db.close();
    const store = openSqliteStore({ path });
    const node = await store.get('A1');
    assert.equal(node!.name, 'old');
    assert.equal(node!.tokenHash, null);
    assert.equal((await store.register({ id: null, name: 'new', type: 'agent', version: '1', metaData: {} }, 0, 'A')).kind, 'created');
    assert.deepEqual((await summaries(store)).map((n) => n.id), ['A1', 'A2']);
    await store.close();
    t.cleanup();
  });

  it('repairs text that is not valid Unicode, stored by versions before 0.2 (migration 004)', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const db = new Database(path);
    migrate(db, loadMigrations().filter((m) => m.version <= 3));
    const insert = db.prepare(`INSERT INTO nodes (id, seq, name, type, version, status, label, meta_data, register_time, last_updated)
                               VALUES (?, ?, CAST(? AS TEXT), 'agent', '1', 'online', ?, ?, 0, 0)`);
    insert.run('A1', 1, Buffer.from([0x73, 0xed, 0xa0, 0x80, 0x78]), '["gpu"]', '{"hostname":"h\\ud800","ip":"10.0.0.1"}');
    insert.run('A2', 2, Buffer.from('fine ü'), '["\\udfff"]', '{"user":"ok"}');
    db.close();
    const store = openSqliteStore({ path });
    const list = strictJson(await store.listDocument());
    assert.deepEqual(list.map((n: { name: string }) => n.name), ['s\ufffd\ufffd\ufffdx [A1]', 'fine ü']);
    const file = strictJson(Buffer.concat((await store.nodesFileDocument()).parts));
    assert.deepEqual(file.map((e: { hostname: string; labels: string[] }) => [e.hostname, e.labels]), [['h\ufffd', ['gpu']], ['', ['\ufffd']]]);
    strictJson(Buffer.concat((await store.targetGroupsDocument({ selector: [{ kind: 'field', field: 'status', op: 'in', values: ['online'] }], ports: [1] })).parts));
    await store.close();
    t.cleanup();
  });

  it("fills in every node's nodes.json entry by the domain's rendering (migration 009), and renders a node left without one", async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const db = new Database(path);
    migrate(db, loadMigrations().filter((m) => m.version <= 8));
    const insert = db.prepare(`INSERT INTO nodes (id, seq, name, type, version, status, label, meta_data, register_time, last_updated)
                               VALUES (?, ?, ?, 'agent', '1', 'online', ?, ?, 0, 0)`);
    insert.run('A1', 1, 'n1', '["gpu","é"]', '{"hostname":"h\\n1","ip":"10.0.0.1","user":7}');
    insert.run('A2', 2, 'n2', '[]', '{}');
    db.close();
    const store = openSqliteStore({ path });
    const entries = store.db.prepare('SELECT file_entry FROM nodes ORDER BY seq').pluck().all();
    assert.deepEqual(entries, [
      JSON.stringify({ node_id: 'A1', user_id: '', ip: '10.0.0.1', hostname: 'h\n1', labels: ['gpu', 'é'] }),
      JSON.stringify({ node_id: 'A2', user_id: '', ip: '', hostname: '', labels: [] }),
    ]);
    // A row written around the store (no entry): nodes.json spells it out itself.
    store.db.prepare(`INSERT INTO nodes (id, seq, name, type, version, status, label, meta_data, register_time, last_updated)
                      VALUES ('A3', 3, 'n3', 'agent', '1', 'online', '["x"]', '{"ip":"10.0.0.3","hostname":"h3","user":"u3"}', 0, 0)`).run();
    const file = strictJson(Buffer.concat((await store.nodesFileDocument()).parts));
    assert.deepEqual(file.map((e: { node_id: string }) => e.node_id), ['A1', 'A2', 'A3']);
    assert.deepEqual(file[2], { node_id: 'A3', user_id: 'u3', ip: '10.0.0.3', hostname: 'h3', labels: ['x'] });
    await store.close();
    t.cleanup();
  });

  it('applies a migration only once', () => {
    const t = tempDir();
    const db = new Database(join(t.dir, 'db.sqlite3'));
    assert.deepEqual(migrate(db), { from: 0, to: LATEST });
    assert.deepEqual(migrate(db), { from: LATEST, to: LATEST });
    db.close();
    t.cleanup();
  });

  it('sweeps a large fleet in committed chunks of 100, a report arriving between chunks winning', async () => {
    const t = tempDir();
    const store = openSqliteStore({ path: join(t.dir, 'db.sqlite3') });
    const insert = store.db.prepare(
      `INSERT INTO nodes (id, seq, name, type, version, status, register_time, last_report, last_updated)
       VALUES (?, ?, ?, 'agent', '1', 'online', 0, 0, 0)`,
    );
    store.db.transaction(() => {
      for (let i = 1; i <= 500; i++) insert.run(`A${i}`, i, `n${i}`);
    })();
    const sizes: number[] = [];
    let late: string | null = null;
    const transitions: StatusTransition[] = [];
    const count = await store.sweep({ offlineBeforeMs: 1_000, onlineSinceMs: 1_000 }, 5_000, (chunk) => {
      sizes.push(chunk.length);
      transitions.push(...chunk);
      // After the first commit, a node not yet swept reports: the next chunks must leave it online.
      if (late === null) {
        const swept = new Set(chunk.map((c) => c.id));
        late = Array.from({ length: 500 }, (_, i) => `A${i + 1}`).find((id) => !swept.has(id))!;
        store.db.prepare('UPDATE nodes SET last_report = 4000 WHERE id = ?').run(late);
      }
    });
    assert.deepEqual(sizes, [100, 100, 100, 100, 99]);
    assert.equal(count, 499);
    assert.equal(transitions.length, 499);
    assert.ok(!transitions.some((x) => x.id === late), 'the node that reported was not taken offline');
    assert.equal(new Set(transitions.map((x) => x.id)).size, 499, 'no node twice');
    assert.deepEqual(await store.statistics(), [{ status: 'offline', count: 499 }, { status: 'online', count: 1 }]);
    await store.close();
    t.cleanup();
  });

  it('builds a nodes.json of many steps equal to the domain rendering, from one snapshot', async () => {
    const t = tempDir();
    const store = openSqliteStore({ path: join(t.dir, 'db.sqlite3') });
    const insert = store.db.prepare(
      `INSERT INTO nodes (id, seq, name, type, version, status, label, meta_data, register_time, last_report, last_updated)
       VALUES (?, ?, ?, 'agent', '1', ?, ?, ?, 0, 0, 0)`,
    );
    const total = 12_345;
    store.db.transaction(() => {
      for (let i = 1; i <= total; i++) {
        const meta = i % 7 === 0 ? {} : { hostname: `h${i}`, ip: `10.0.${i >> 8 & 255}.${i & 255}`, user: i % 3 === 0 ? 5 : 'u' };
        insert.run(`A${i}`, i, `n${i}`, i % 10 === 0 ? 'offline' : 'online', JSON.stringify(i % 2 ? ['gpu'] : []), JSON.stringify(meta));
      }
    })();
    const expected = renderNodesFile(await recordsWithStatus(store, ['online']));
    const building = store.nodesFileDocument();
    // While the first step's snapshot is open, the last node goes offline: the document must not see it.
    await new Promise((r) => setImmediate(r));
    store.db.prepare("UPDATE nodes SET status = 'offline' WHERE id = ?").run(`A${total - 1}`);
    const { parts, nodes } = await building;
    const document = Buffer.concat(parts);
    assert.ok(parts.length > 5, 'built in several steps');
    assert.equal(nodes, total - Math.floor(total / 10));
    assert.deepEqual(JSON.parse(document.toString('utf8')), JSON.parse(expected));
    assert.ok(document.toString('utf8').endsWith(']\n'));
    assert.equal((await store.nodesFileDocument()).nodes, nodes - 1, 'the next build sees the change');
    await store.close();
    t.cleanup();
  });

  it('allocates distinct IDs to registrations racing from several processes', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    await openSqliteStore({ path }).close();
    const script = join(import.meta.dirname, '../helpers/register-many.ts');
    const runs = Array.from({ length: 4 }, (_, p) =>
      new Promise<string[]>((resolve, reject) => {
        const child = fork(script, [path, `p${p}`, '25'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
        let out = '';
        child.stdout!.on('data', (d) => { out += d; });
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`child exited ${code}`))));
      }),
    );
    const ids = (await Promise.all(runs)).flat();
    assert.equal(ids.length, 100);
    assert.equal(new Set(ids).size, 100);
    const store = openSqliteStore({ path });
    assert.equal((await summaries(store)).length, 100);
    await store.close();
    t.cleanup();
  });
});

describe('SQLite events: filters read through indexes', () => {
  it('reads a node filter through (node_id, id) and a type filter through (type, id), never a walk of the events from the cursor', () => {
    const t = tempDir();
    const store = openSqliteStore({ path: join(t.dir, 'db.sqlite3') });
    try {
      const plan = (sql: string) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ after: 0, limit: 1, value: 'A1', types: '[]', anyType: 1 }) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
      assert.match(plan(EVENT_SQL.byNode), /SEARCH events USING INDEX events_node \(node_id=\? AND (rowid|id)>\?\)/);
      assert.match(plan(EVENT_SQL.byType), /SEARCH events USING (COVERING )?INDEX events_type \(type=\? AND (rowid|id)>\?\)/);
      assert.match(plan(EVENT_SQL.all), /SEARCH events USING INTEGER PRIMARY KEY \((rowid|id)>\?\)/);
    } finally {
      void store.close();
      t.cleanup();
    }
  });
});

/** Runs `fn` while another connection holds the write lock of `path`; it must finish well before a lock wait would. */
async function whileLocked(path: string, fn: () => Promise<void>): Promise<void> {
  const other = new Database(path);
  other.pragma('busy_timeout = 0');
  other.prepare('BEGIN IMMEDIATE').run();
  try {
    const started = Date.now();
    await fn();
    assert.ok(Date.now() - started < 500, `took ${Date.now() - started} ms: it waited for the lock`);
  } finally {
    other.prepare('ROLLBACK').run();
    other.close();
  }
}

describe('SQLite: the sweeping side idle takes no write lock', () => {
  // The maintenance pass (every 500 ms) and notification fan-out (every 250 ms) once opened a write
  // transaction each time just to look: under churn, the workers' writes then waited on the primary's
  // lock and cost twice as much (docs/PERFORMANCE.md). With nothing to do they must not need the lock.
  it('completes the maintenance pass and fan-out while another connection holds the write lock', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const store = openSqliteStore({ path });
    await store.register({ id: null, name: 'n', type: 't', version: 'v', metaData: {} }, 0, 'A'); // an event, no endpoint
    try {
      await whileLocked(path, async () => {
        assert.deepEqual(await store.applyMaintenance(1_000, true), { started: [], ended: [], entered: 0, left: 0 });
        assert.deepEqual(await store.fanOut(100, 1_000, () => []), { events: 0, deliveries: 0 });
      });
    } finally {
      await store.close();
      t.cleanup();
    }
  });
});

describe('SQLite: starting beside a busy primary', () => {
  // A worker opened its store with an IMMEDIATE transaction to check the schema: while the primary's
  // first retention pass wrote (35 s at 1,000,000 events), workers gave up at the busy timeout and the
  // master did not start. Up to date, a start reads only; and the per-node pass keeps its place in kv.
  it('opens an up-to-date database while another connection holds the write lock, and folds the history idle without it', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const first = openSqliteStore({ path });
    await first.register({ id: null, name: 'n', type: 't', version: 'v', metaData: {} }, 0, 'A');
    await first.pruneEvents({ olderThanMs: -1, maxPerNode: 1000 });
    await first.close();
    try {
      await whileLocked(path, async () => {
        const store = openSqliteStore({ path, busyTimeoutMs: 200 });
        try {
          assert.equal(await store.foldHistory(1_000), 0, 'folded already');
          assert.deepEqual(store.db.prepare("SELECT key, value FROM kv WHERE key IN ('retention_cursor', 'history_cursor') ORDER BY key").all(), [
            { key: 'history_cursor', value: '1' }, { key: 'retention_cursor', value: '1' },
          ], 'both passes keep their place');
        } finally {
          await store.close();
        }
      });
    } finally {
      t.cleanup();
    }
  });
});
