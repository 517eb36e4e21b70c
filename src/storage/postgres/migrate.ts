// Migrations of the PostgreSQL store. Guarantee: the numbered files of migrations/postgres/ (NNN-*.sql)
// are applied in order, once, each recorded in kv (schema_version), in one transaction under an advisory
// lock, so several masters starting at once apply them exactly once.
import type pg from 'pg';
import { migrationsDir, readMigrations, type Migration } from '../migration-files.js';

/** The advisory lock key of migrations (any constant distinct from the write lock's). */
const MIGRATION_LOCK = 7_340_001;

/** Reads the numbered migrations shipped with the package, in order. */
export const loadPgMigrations = (dir = migrationsDir('postgres')): Migration[] => readMigrations(dir);

/** Applies what is missing; returns the versions before and after. */
export async function migratePg(pool: pg.Pool, migrations = loadPgMigrations()): Promise<{ from: number; to: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const exists = (await client.query<{ t: string | null }>("SELECT to_regclass('kv')::text AS t")).rows[0]!.t !== null;
    const from = exists ? Number((await client.query<{ value: string }>("SELECT value FROM kv WHERE key = 'schema_version'")).rows[0]?.value ?? 0) : 0;
    let to = from;
    for (const m of migrations) {
      if (m.version <= from) continue;
      await client.query(m.sql);
      to = m.version;
    }
    if (to !== from) {
      await client.query("INSERT INTO kv (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(to)]);
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
