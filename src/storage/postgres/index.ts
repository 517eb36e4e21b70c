// PostgreSQL NodeStore (node-postgres), composed of its parts, mirroring ../sqlite/ file by file:
//   connection.ts (pool, bounded timeouts) · migrate.ts (numbered migrations under an advisory lock)
//   errors.ts (translation to 503, health reports) · group-commit.ts (one transaction per event-loop
//   turn, serialised across masters) · writes.ts · reads.ts (queries, read caches) · documents.ts
// Guarantees: a method resolves only after its transaction committed (synchronous_commit as the server
// is configured: on by default, so a committed write survives the loss of the database host's process);
// several masters may share the database (IDs and event ids are given under the write lock, so they are
// unique, increasing and visible in order); migrations (migrations/postgres/NNN-*.sql) apply at open.
import type pg from 'pg';
import type { StorageHealthSink } from '../health.js';
import type { NodeStore } from '../store.js';
import { openPool, type PgConnectionOptions } from './connection.js';
import { createPgDocuments } from './documents.js';
import { migratePg } from './migrate.js';
import { createPgReads } from './reads.js';
import { createPgWrites } from './writes.js';
import type { Fence } from './group-commit.js';

export { loadPgMigrations, migratePg } from './migrate.js';
export { FencedError, type Fence } from './group-commit.js';

export interface PgStoreOptions extends PgConnectionOptions {
  health?: StorageHealthSink;
  /** The store of a leader's sweeping side: every write checks the lease's epoch (group-commit.ts). */
  fence?: Fence;
}

/** Connects, applies the migrations, and returns the store. */
export async function openPgStore(options: PgStoreOptions): Promise<NodeStore & { readonly pool: pg.Pool }> {
  const pool = openPool(options);
  try {
    await migratePg(pool);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  let closed = false;
  return {
    pool,
    ...createPgWrites(pool, options.health, options.fence),
    ...createPgReads(pool, options.health),
    ...createPgDocuments(pool, options.health),
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
