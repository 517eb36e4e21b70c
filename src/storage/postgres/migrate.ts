// Migrations of the PostgreSQL store. Guarantee: the numbered files of migrations/postgres/ (NNN-*.sql)
// are applied in order, once, each recorded in kv (schema_version), in one transaction under an advisory
// lock, so several masters starting at once apply them exactly once.
import type pg from 'pg';
import { KV } from '../keys.js';
import { migrationsDir, readMigrations, type Migration } from '../migration-files.js';
import { fileEntryOfColumns } from '../rows.js';

/** The advisory lock key of migrations (any constant distinct from the write lock's). */
const MIGRATION_LOCK = 7_340_001;

/** Steps in JavaScript that run right after a migration's SQL, in its transaction, by version. */
const AFTER_SQL: Record<number, (client: pg.PoolClient) => Promise<void>> = {
  2: fillFileEntries,
};

/** 002: every node's nodes.json entry, by the domain's own rendering, 5,000 nodes a statement. */
async function fillFileEntries(client: pg.PoolClient): Promise<void> {
  for (let after = -1, round = 0; round < 1_000_000; round++) {
    const rows = (await client.query<{ seq: string; id: string; meta_data: string; label: string }>(
      'SELECT seq, id, meta_data, label FROM nodes WHERE seq > $1 ORDER BY seq LIMIT 5000', [after],
    )).rows;
    if (rows.length === 0) return;
    const entries = rows.map((r) => fileEntryOfColumns(r.id, r.meta_data, r.label));
    await client.query('UPDATE nodes SET file_entry = v.entry FROM unnest($1::bigint[], $2::text[]) AS v(seq, entry) WHERE nodes.seq = v.seq', [rows.map((r) => r.seq), entries]);
    after = Number(rows.at(-1)!.seq);
  }
}

/** Reads the numbered migrations shipped with the package, in order. */
export const loadPgMigrations = (dir = migrationsDir('postgres')): Migration[] => readMigrations(dir);

/** Applies what is missing; returns the versions before and after. */
export async function migratePg(pool: pg.Pool, migrations = loadPgMigrations()): Promise<{ from: number; to: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const exists = (await client.query<{ t: string | null }>("SELECT to_regclass('kv')::text AS t")).rows[0]!.t !== null;
    const from = exists ? Number((await client.query<{ value: string }>('SELECT value FROM kv WHERE key = $1', [KV.schemaVersion])).rows[0]?.value ?? 0) : 0;
    let to = from;
    for (const m of migrations) {
      if (m.version <= from) continue;
      await client.query(m.sql);
      await AFTER_SQL[m.version]?.(client);
      to = m.version;
    }
    if (to !== from) {
      await client.query('INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [KV.schemaVersion, String(to)]);
    }
    await client.query('COMMIT');
    return { from, to };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
