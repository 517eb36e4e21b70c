// Migrations. Guarantee: the numbered files of migrations/sqlite/ (NNN-*.sql) are applied in order,
// each once, inside one IMMEDIATE transaction, and the schema version is recorded in kv; a database
// newer than the program is refused.
import type Database from 'better-sqlite3';
import { migrationsDir, readMigrations, type Migration } from '../migration-files.js';
import { fileEntryOfColumns } from '../rows.js';
import { KV } from '../keys.js';
import { jsonIsBad, repairJson, repairText, textIsBad } from './text-repair.js';

export type { Migration };

/** Reads the numbered migrations shipped with the package, in order. */
export const loadMigrations = (dir = migrationsDir('sqlite')): Migration[] => readMigrations(dir);

/** Applies pending migrations inside one IMMEDIATE transaction; refuses a database newer than the code. */
export function migrate(db: Database.Database, migrations: Migration[] = loadMigrations()): { from: number; to: number } {
  registerMigrationFunctions(db);
  // Up to date (every start but the first after an upgrade): no write lock, which another process may
  // hold for a while (the primary's first retention pass), so that a worker never waits to start.
  const latest = migrations.at(-1)?.version ?? 0;
  if (currentVersion(db) === latest) return { from: latest, to: latest };
  return db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT');
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(KV.schemaVersion) as { value: string } | undefined;
    const from = row ? Number(row.value) : 0;
    const latest = migrations.at(-1)?.version ?? 0;
    if (from > latest) {
      throw new Error(`database schema version ${from} is newer than this program knows (${latest}); refusing to start`);
    }
    for (const m of migrations) {
      if (m.version > from) db.exec(m.sql);
    }
    db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
      KV.schemaVersion,
      String(latest),
    );
    db.prepare("INSERT INTO kv (key, value) VALUES (?, '0') ON CONFLICT (key) DO NOTHING").run(KV.idCounter);
    db.prepare("INSERT INTO kv (key, value) VALUES (?, '0') ON CONFLICT (key) DO NOTHING").run(KV.changeVersion);
    return { from, to: latest };
  }).immediate();
}

/** The recorded schema version, read without a transaction; null when there is none yet. */
function currentVersion(db: Database.Database): number | null {
  try {
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(KV.schemaVersion) as { value: string } | undefined;
    return row ? Number(row.value) : null;
  } catch {
    return null; // no kv table: a new database
  }
}

/** The SQL functions migrations use (004 passes the stored bytes: text that is not UTF-8, as a BLOB). */
function registerMigrationFunctions(db: Database.Database): void {
  db.function('argus_text_is_bad', { deterministic: true }, (v: unknown) => (textIsBad(v) ? 1 : 0));
  db.function('argus_repair_text', { deterministic: true }, repairText);
  db.function('argus_json_is_bad', { deterministic: true }, (v: unknown) => (jsonIsBad(v) ? 1 : 0));
  db.function('argus_repair_json', { deterministic: true }, repairJson);
  db.function('argus_file_entry', { deterministic: true }, fileEntryOfColumns);
}
