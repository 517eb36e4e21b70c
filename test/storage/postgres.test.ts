// The storage contract against a real PostgreSQL server (test/helpers/postgres.ts starts a throwaway one
// from Debian's binaries): the same suite as SQLite's, unchanged, a new database per test.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { loadPgMigrations, migratePg, openPgStore } from '../../src/storage/postgres/index.js';
import { PG_READ_PLANS } from '../../src/storage/postgres/reads.js';
import type { NodeStore } from '../../src/storage/store.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { describeNodeStoreContract, reg } from './contract.js';
import { summaries } from '../helpers/fixtures.js';

const missing = postgresMissing();
if (missing && process.env.CI === 'true') throw new Error(`${missing} (CI refuses to skip them)`);

let server: Promise<PostgresServer> | null = null;
after(async () => {
  if (server) await (await server).stop();
});

if (missing) {
  describe('NodeStore contract: postgres', { skip: missing }, () => undefined);
} else {
  describeNodeStoreContract('postgres', async () => {
    server ??= startPostgres();
    const url = await (await server).createDatabase();
    let store: NodeStore = await openPgStore({ url, poolSize: 4 });
    return {
      store,
      async reopen() {
        await store.close();
        store = await openPgStore({ url, poolSize: 4 });
        return store;
      },
      async cleanup() {
        await store.close();
      },
    };
  });
}

describe('PostgreSQL migrations', { skip: missing ?? false }, () => {
  it("fills in every node's nodes.json entry by the domain's rendering (migration 002), and renders a node left without one", async () => {
    server ??= startPostgres();
    const url = await (await server).createDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await migratePg(pool, loadPgMigrations().filter((m) => m.version <= 1));
      const insert = `INSERT INTO nodes (id, seq, name, type, version, status, label, meta_data, register_time, last_updated, status_since)
                      VALUES ($1, $2, $3, 'agent', '1', 'online', $4, $5, 0, 0, 0)`;
      await pool.query(insert, ['A1', 1, 'n1', '["gpu","é"]', '{"hostname":"h\\n1","ip":"10.0.0.1","user":7}']);
      await pool.query(insert, ['A2', 2, 'n2', '[]', '{}']);
      assert.deepEqual(await migratePg(pool), { from: 1, to: loadPgMigrations().at(-1)!.version });
      const entries = (await pool.query<{ file_entry: string }>('SELECT file_entry FROM nodes ORDER BY seq')).rows.map((r) => r.file_entry);
      assert.deepEqual(entries, [
        JSON.stringify({ node_id: 'A1', user_id: '', ip: '10.0.0.1', hostname: 'h\n1', labels: ['gpu', 'é'] }),
        JSON.stringify({ node_id: 'A2', user_id: '', ip: '', hostname: '', labels: [] }),
      ]);
      // A row written around the store (no entry): nodes.json spells it out itself.
      await pool.query(insert, ['A3', 3, 'n3', '["x"]', '{"ip":"10.0.0.3","hostname":"h3","user":"u3"}']);
      const store = await openPgStore({ url, poolSize: 2 });
      try {
        const file = JSON.parse(Buffer.concat((await store.nodesFileDocument()).parts).toString('utf8'));
        assert.deepEqual(file.map((e: { node_id: string }) => e.node_id), ['A1', 'A2', 'A3']);
        assert.deepEqual(file[2], { node_id: 'A3', user_id: 'u3', ip: '10.0.0.3', hostname: 'h3', labels: ['x'] });
      } finally {
        await store.close();
      }
    } finally {
      await pool.end();
    }
  });
});

describe('PostgreSQL: several masters on one database', { skip: missing ?? false }, () => {
  it('a reader following the events by id misses none while two masters write side by side (ids visible in commit order)', async () => {
    server ??= startPostgres();
    const url = await (await server).createDatabase();
    const [a, b, reader] = await Promise.all([openPgStore({ url, poolSize: 4 }), openPgStore({ url, poolSize: 4 }), openPgStore({ url, poolSize: 2 })]);
    try {
      const seen: number[] = [];
      let writing = true;
      const follow = (async () => {
        let after = 0;
        for (let round = 0; round < 100_000; round++) {
          // Whether the writers were done before this read began: an empty page read while the last
          // batch was still committing says nothing (that race cut 10 events off once under load).
          const writersDone = !writing;
          const page = await reader.events({ after, limit: 1000, types: [], nodeIds: [] });
          for (const e of page) seen.push(e.id);
          after = page.at(-1)?.id ?? after;
          if (writersDone && page.length === 0) break;
        }
      })();
      // 2 × 30 turns of 10 registrations each, both masters at once: 600 events.
      const load = async (store: typeof a, prefix: string) => {
        for (let turn = 0; turn < 30; turn++) await Promise.all(Array.from({ length: 10 }, (_, i) => store.register(reg(`${prefix}-${turn}-${i}`), 1_000 + turn, 'A')));
      };
      await Promise.all([load(a, 'a'), load(b, 'b')]);
      writing = false;
      await follow;
      assert.equal(seen.length, 600, 'every event seen once');
      assert.deepEqual(seen, Array.from({ length: 600 }, (_, i) => i + 1), 'in id order, none skipped');
      const ids = (await summaries(reader)).map((n) => Number(n.id.slice(1))).sort((x, y) => x - y);
      assert.deepEqual(ids, Array.from({ length: 600 }, (_, i) => i + 1), 'node IDs unique and without gaps');
    } finally {
      await Promise.all([a.close(), b.close(), reader.close()]);
    }
  });
  it('one new name registered through two masters at once is one node: one created, the rest updated with its ID, and no storage failure', async () => {
    server ??= startPostgres();
    const url = await (await server).createDatabase();
    const failures: string[] = [];
    const health = { failed: (code: string) => { failures.push(code); }, writeSucceeded: () => undefined };
    const [a, b] = await Promise.all([openPgStore({ url, poolSize: 4, health }), openPgStore({ url, poolSize: 4, health })]);
    try {
      for (let round = 0; round < 5; round++) {
        const name = `same-${round}`;
        // Ten at once through each master, several batches in flight on each (their group commits run 4 at a time).
        const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).register(reg(name), 1_000 + round, 'A')));
        const rejected = outcomes.filter((o) => o.status === 'rejected').map((o) => String((o).reason));
        assert.deepEqual(rejected, [], `round ${round}: no registration rejected`);
        const kinds = outcomes.map((o) => (o as PromiseFulfilledResult<Awaited<ReturnType<typeof a.register>>>).value);
        assert.equal(kinds.filter((k) => k.kind === 'created').length, 1, `round ${round}: one created`);
        assert.equal(kinds.filter((k) => k.kind === 'updated').length, 19, `round ${round}: the rest updated`);
        const ids = new Set(kinds.map((k) => (k.kind === 'created' || k.kind === 'updated' ? k.node.id : '?')));
        assert.equal(ids.size, 1, `round ${round}: one ID`);
      }
      assert.equal((await summaries(a)).length, 5);
      assert.deepEqual(failures, [], 'a unique-name race is not a storage failure');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
  it('updates of one turn are batched (one read, one write of their nodes) and each sees the one before it, also mixed with a registration', async () => {
    server ??= startPostgres();
    const url = await (await server).createDatabase();
    const store = await openPgStore({ url, poolSize: 4 });
    try {
      const a = await store.register(reg('batch-a'), 1_000, 'A');
      const b = await store.register(reg('batch-b'), 1_000, 'A');
      assert.ok(a.kind === 'created' && b.kind === 'created');
      const bump = (id: string) => store.update(id, (n) => ({ ...n, config: { count: Number((n.config as { count?: number }).count ?? 0) + 1 }, lastUpdatedMs: n.lastUpdatedMs + 1 }));
      // One turn: 40 updates of two nodes and one of a node that does not exist (all updates: the staged path).
      const results = await Promise.all([...Array.from({ length: 20 }, () => bump('A1')), ...Array.from({ length: 20 }, () => bump('A2')), bump('A99')]);
      assert.equal(results.at(-1), null, 'an unknown node: null');
      assert.deepEqual([(await store.get('A1'))!.config, (await store.get('A2'))!.config], [{ count: 20 }, { count: 20 }]);
      // One turn with a registration in it (the direct path), then again.
      const mixed = await Promise.all([bump('A1'), store.register(reg('batch-c'), 2_000, 'A'), bump('A1'), bump('A2')]);
      assert.equal((mixed[1] as { kind: string }).kind, 'created');
      assert.deepEqual([(await store.get('A1'))!.config, (await store.get('A2'))!.config], [{ count: 22 }, { count: 21 }]);
      // A throwing update fails alone; the others of its batch commit.
      const failing = store.update('A1', () => { throw new Error('guard'); });
      const [ok, bad] = await Promise.allSettled([bump('A2'), failing]);
      assert.equal(ok.status, 'fulfilled');
      assert.equal(bad.status, 'rejected');
      assert.deepEqual((await store.get('A2'))!.config, { count: 22 });
    } finally {
      await store.close();
    }
  });
});

describe('PostgreSQL events: filters read through indexes', { skip: missing ?? false }, () => {
  it('reads a node filter through (node_id, id) and a type filter through (type, id), never a walk of the events from the cursor', async () => {
    server ??= startPostgres();
    const url = await (await server).createDatabase();
    const store = await openPgStore({ url, poolSize: 2 });
    try {
      // 200,000 events of 2,000 nodes, one type in a hundred rare: what a fleet's history looks like.
      await store.pool.query(`INSERT INTO events (id, time, type, node_id, body)
        SELECT g, g, CASE WHEN g % 100 = 0 THEN 'node.config' ELSE 'node.status' END, 'A' || (g % 2000), '{}' FROM generate_series(1, 200000) g`);
      await store.pool.query('ANALYZE events');
      const plan = async (sql: string, params: unknown[]) => (await store.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
      const byNode = await plan(PG_READ_PLANS.eventsOfNode.sql, ['ZZ1', 0, 1, []]);
      assert.match(byNode, /Index (Only )?Scan using events_node on events/, byNode);
      const byType = await plan(PG_READ_PLANS.eventsOfType.sql, ['node.config', 0, 1]);
      assert.match(byType, /Index (Only )?Scan using events_type on events/, byType);
      for (const p of [byNode, byType]) assert.doesNotMatch(p, /Seq Scan on events|events_pkey/, p);
      assert.deepEqual((await store.events({ after: 0, limit: 2, types: [], nodeIds: ['A7', 'A9'] })).map((e) => e.id), [7, 9]);
      assert.deepEqual((await store.events({ after: 150, limit: 2, types: ['node.config'], nodeIds: [] })).map((e) => e.id), [200, 300]);
    } finally {
      await store.close();
    }
  });
});
