// Migrations of the PostgreSQL store. Guarantee: the numbered files of migrations/postgres/ (NNN-*.sql)
// are applied in order, once, each recorded in kv (schema_version), in one transaction under an advisory
// lock, so several masters starting at once apply them exactly once.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';

const MIGRATIONS_DIR = join(import.meta.dirname, '..', '..', '..', 'migrations', 'postgres');
/** The advisory lock key of migrations (any constant distinct from the write lock's). */
const MIGRATION_LOCK = 7_340_001;

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export function loadPgMigrations(dir = MIGRATIONS_DIR): PgMigration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}-.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}

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
