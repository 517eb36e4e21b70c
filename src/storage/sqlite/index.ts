// SQLite NodeStore (better-sqlite3), composed of its parts:
//   connection.ts (open, pragmas, 0600) · migrate.ts (numbered migrations) · kv.ts (counters, versions)
//   rows.ts (row mapping) · errors.ts (translation to 503, health reports) · writes.ts (group-committed
//   writes, chunked sweep) · reads.ts (queries, read caches) · documents.ts (published documents in SQL)
// Guarantees:
// - WAL mode; every write runs in a BEGIN IMMEDIATE transaction, so read-modify-write steps and ID
//   allocation are atomic across all processes that open the same file.
// - A method resolves only after its transaction committed: with synchronous=NORMAL in WAL mode a
//   committed write survives a crash of the process (not necessarily a power loss; FULL survives both).
// - Migrations (migrations/sqlite/NNN-*.sql) are applied in order at open, once, recorded in kv.
import type Database from 'better-sqlite3';
import type { StorageHealthSink } from '../health.js';
import type { NodeStore } from '../store.js';
import { startCheckpointer, type Checkpointer, type CheckpointerOptions } from './checkpointer.js';
import { openDatabase, type ConnectionOptions } from './connection.js';
import { createDocuments } from './documents.js';
import { createSqliteReads } from './reads.js';
import { createSqliteWrites } from './writes.js';

export { loadMigrations, migrate, type Migration } from './migrate.js';

/** Options of the SQLite store. */
export interface SqliteStoreOptions extends ConnectionOptions {
  /** Where database failures and recovered writes are reported (logs, metrics, readiness). */
  health?: StorageHealthSink;
  /** With `walCheckpoints: 'thread'`: a checkpoint that fails, a thread that died (logged by the caller). */
  onCheckpointProblem?: CheckpointerOptions['onProblem'];
  /** With `walCheckpoints: 'thread'`: the thread's intervals and bounds (tests; the defaults otherwise). */
  checkpointTuning?: Pick<CheckpointerOptions, 'everyMs' | 'restartFrames' | 'restartWaitMs'>;
}

/** Opens (creating its directory and schema as needed) a SQLite store at `options.path`. */
export function openSqliteStore(options: SqliteStoreOptions): NodeStore & { readonly db: Database.Database; readonly checkpointer: Checkpointer | null } {
  const db = openDatabase(options);
  const checkpointer = options.walCheckpoints === 'thread' && options.path !== ':memory:'
    ? startCheckpointer(options.path, { ...options.checkpointTuning, synchronous: options.synchronous, onProblem: options.onCheckpointProblem })
    : null;
  const documents = createDocuments(db, options.path, options.health);
  return {
    db,
    ...createSqliteWrites(db, options.health, checkpointer ?? undefined),
    ...createSqliteReads(db, options.health),
    nodesFileDocument: documents.nodesFileDocument,
    targetGroupsDocument: documents.targetGroupsDocument,
    checkpointer,
    async close() {
      await documents.close();
      await checkpointer?.stop();
      if (db.open) db.close();
    },
  };
}
