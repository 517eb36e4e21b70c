// The numbered migration files of a backend (migrations/<backend>/NNN-*.sql), read in order: shared by
// the SQLite and the PostgreSQL migrators.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A migration file: its number and SQL. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The folder of a backend's migrations shipped with the package. */
export const migrationsDir = (backend: 'sqlite' | 'postgres') => join(import.meta.dirname, '..', '..', 'migrations', backend);

/** Reads the numbered migrations in `dir`, in order. */
export function readMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}-.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
}
