// Opening the database. Guarantees: WAL mode, the chosen synchronous level, the schema migrated before
// the store is used; a new file is created readable by its owner only.
import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, mkdirSync, openSync } from 'node:fs';
import { fsReason, StartupError } from '../../errors.js';
import { dirname } from 'node:path';
import { isScrapeHost, sanitizeLabelName } from '../../domain/prometheus-sd.js';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from './checkpointer.js';
import { migrate } from './migrate.js';

const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** How to open the database. */
export interface ConnectionOptions {
  path: string;
  synchronous?: 'normal' | 'full';
  /** How long opening and migrating wait for a lock (afterwards the group commit sets it to 0). */
  busyTimeoutMs?: number;
  /**
   * Who checkpoints the WAL: SQLite inside the commit that crosses 1,000 pages (`inline`, the default:
   * tools and tests), or a checkpoint thread — this store's (`thread`) or another process's of the same
   * master (`elsewhere`); with a thread, a connection checkpoints by itself only past
   * FALLBACK_AUTOCHECKPOINT_PAGES (checkpointer.ts).
   */
  walCheckpoints?: 'inline' | 'thread' | 'elsewhere';
}

/** What every connection of the store gets: the page cache size and the SQL functions the queries use. */
export function setUpConnection(db: Database.Database): void {
  // SQLite's own default page cache (2 MiB) instead of better-sqlite3's 16 MiB: in WAL mode a
  // connection drops its cache whenever another process has committed, which with several writing
  // workers is nearly every transaction, so a large cache holds memory (16 MiB per process once a
  // 100,000-node list or nodes.json had passed through it) without saving reads.
  db.pragma('cache_size = -2000');
  db.function('argus_label_name', { deterministic: true }, (name) => sanitizeLabelName(String(name)));
  db.function('argus_scrape_host', { deterministic: true }, (host) => (isScrapeHost(String(host)) ? 1 : 0));
}

/** What to tell an operator whose database path cannot be used. */
const useAnotherPath = 'set DB_PATH (and METRIC_NODES_JSON_PATH) to places this user may write, e.g. DB_PATH=./data/db.sqlite3 METRIC_NODES_JSON_PATH=./data/nodes.json';

/**
 * Creates the database's directory and, if new, its file readable by its owner only (node tokens are
 * hashed, but the fleet's inventory is not for every local user; SQLite gives its -wal and -shm files
 * the same mode). A path this user cannot use is a StartupError: one plain line, not a stack.
 */
function createDatabaseFile(path: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new StartupError(`cannot create the database directory ${dir} (DB_PATH=${path}): ${fsReason(err)}; ${useAnotherPath}`);
  }
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StartupError(`cannot create the database ${path} (DB_PATH): ${fsReason(err)}; ${useAnotherPath}`);
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw new StartupError(`cannot write the database ${path} (DB_PATH): ${fsReason(err)}; ${useAnotherPath}`);
  }
}

/** Opens the main read-write connection at `options.path`, creating and migrating it as needed. */
export function openDatabase(options: ConnectionOptions): Database.Database {
  if (options.path !== ':memory:') createDatabaseFile(options.path);
  const db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 10_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    if ((options.walCheckpoints ?? 'inline') !== 'inline') db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    // A WAL started over is cut back to 64 MB: one large transaction (a migration, an UPDATE of every
    // node) would otherwise leave a -wal file of its size on disk for good.
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    setUpConnection(db);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** A read-only connection of its own on the same file (the published documents are built on it). */
export function openReader(path: string): Database.Database {
  const reader = new Database(path, { readonly: true, fileMustExist: true });
  setUpConnection(reader);
  return reader;
}
