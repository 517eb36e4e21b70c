// The connection pool of the PostgreSQL store (node-postgres). Guarantees: every query and every wait
// for a connection is bounded (statement_timeout, connectionTimeoutMillis, query_timeout), so no request
// hangs on an unreachable database, and a frozen writer holds the write lock for at most 3 s; 64-bit
// integers (IDs, times in epoch ms) are read as numbers (they stay below 2^53); a connection that dies,
// idle or checked out, is reported and dropped, never an uncaught error (which would end the process).
import pg from 'pg';

/** Options of the PostgreSQL connection. */
export interface PgConnectionOptions {
  /** postgres://user:password@host:port/db (DATABASE_URL). */
  url: string;
  /** Connections per process (one of them writes at a time; the rest read). */
  poolSize?: number;
  /** Longest a query may run, and a caller wait for a connection (ms). */
  timeoutMs?: number;
  /** Called when an idle connection fails (logged by the caller). */
  onIdleError?: (err: Error) => void;
}

const INT8 = 20;

/** Text parsers: int8 as a number, everything else as node-postgres does. */
function parserOf(oid: number): (text: string) => unknown {
  if (oid === INT8) return (text) => Number(text);
  return pg.types.getTypeParser(oid, 'text') as (text: string) => unknown;
}

/** A pool for `options.url`. */
export function openPool(options: PgConnectionOptions): pg.Pool {
  const timeout = options.timeoutMs ?? 8_000;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 8,
    connectionTimeoutMillis: Math.min(timeout, 5_000),
    statement_timeout: timeout,
    query_timeout: timeout + 1_000,
    // A transaction left idle (its process paused or cut off while holding the write lock) is ended by
    // the server after 3 s: every master's writes wait at most that long for a frozen one.
    idle_in_transaction_session_timeout: 3_000,
    application_name: 'argus-master',
    types: { getTypeParser: parserOf as typeof pg.types.getTypeParser },
  });
  pool.on('error', (err) => options.onIdleError?.(err));
  // A connection that dies while checked out (a write batch or a snapshot read holding it between
  // queries) emits 'error' on its client, not the pool: without a listener that is an uncaught
  // exception, and the process exits. The query in flight fails on its own; this only reports it.
  pool.on('connect', (client) => client.on('error', (err) => options.onIdleError?.(err)));
  return pool;
}
