// Error translation: a failure of the database itself becomes the typed 503 of the API, and every
// SQLite error is reported to the storage health tracker.
import { AppError } from '../../errors.js';
import type { StorageHealthSink } from '../health.js';

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|PROTOCOL|CORRUPT|NOTADB)/;

/**
 * Turns a failure of the database itself (busy, I/O, full, closed) into a typed 503; other errors pass.
 * Every SQLite error is reported to `health` (logged and counted there).
 */
export function translate(err: unknown, health: StorageHealthSink | undefined, kind: 'read' | 'write'): never {
  const e = err as { code?: string; message?: string };
  const closed = e.message === 'The database connection is not open';
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_')) health?.failed(e.code, kind, e.message ?? e.code);
  else if (closed) health?.failed('SQLITE_CLOSED', kind, e.message!);
  if ((typeof e.code === 'string' && UNAVAILABLE_CODES.test(e.code)) || closed) {
    throw new AppError('UNAVAILABLE', `storage unavailable: ${e.code ?? e.message}`);
  }
  throw err;
}

/** Runs a read, translating and reporting database failures. */
export function guardedRead(health: StorageHealthSink | undefined) {
  return async <T>(op: () => T): Promise<T> => {
    try {
      return op();
    } catch (err) {
      return translate(err, health, 'read');
    }
  };
}
