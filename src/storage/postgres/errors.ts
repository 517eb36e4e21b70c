// Error translation of the PostgreSQL store: a failure to reach or use the database becomes the typed
// 503 of the API (and is reported to the storage health tracker); other errors pass unchanged.
import { AppError } from '../../errors.js';
import type { StorageHealthSink } from '../health.js';

/** Node's network errors and PostgreSQL's classes 08 (connection), 53 (resources), 57 (operator intervention: shutdown, timeouts), 58 (system). */
const UNAVAILABLE = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ENOTFOUND|EAI_AGAIN|08...|53...|57...|58...|40001|40P01)$/;

const codeOf = (err: unknown): string | null => {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string') return e.code;
  const m = typeof e.message === 'string' ? e.message : '';
  if (/timeout|terminated|Connection terminated|not queryable|Client was closed|Cannot use a pool after calling end/i.test(m)) return 'PG_CONNECTION';
  return null;
};

/** Whether `err` is the database being unreachable or failing (not a bug or a bad request). */
export function isUnavailable(err: unknown): boolean {
  const code = codeOf(err);
  return code !== null && (code === 'PG_CONNECTION' || UNAVAILABLE.test(code));
}

/** Rethrows `err`, as a 503 when the database failed; reports database failures to `health`. */
export function translate(err: unknown, health: StorageHealthSink | undefined, kind: 'read' | 'write'): never {
  if (err instanceof AppError) throw err;
  const code = codeOf(err);
  // Classes 22 (data exception) and 23 (integrity constraint) are a write's own fault, not the database's:
  // they do not count as storage failures (/readyz's "writes failing").
  if (code !== null && (isUnavailable(err) || (/^[0-9A-Z]{5}$/.test(code) && !/^2[23]/.test(code)))) health?.failed(code, kind, (err as Error).message ?? code);
  // The answer names the code only: the driver's message names the database's host and port (the log,
  // through `health`, has it whole).
  if (isUnavailable(err)) throw new AppError('UNAVAILABLE', `storage unavailable: ${code}`);
  throw err;
}

/** Runs a read, translating and reporting database failures. */
export function guardedRead(health: StorageHealthSink | undefined) {
  return async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      return translate(err, health, 'read');
    }
  };
}
