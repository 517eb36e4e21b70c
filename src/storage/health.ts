// Storage failures made visible. Guarantee: every failure of the database is counted by its code and
// logged at error level — the first of a code at once, then one line a minute with the count while it
// goes on, and one line when writes succeed again — so a full disk neither floods the log nor passes
// unseen. While writes fail, `writesFailing()` says since when, for /readyz; a write that succeeds in
// any process of the master clears it in every process (the cluster channel relays it).
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';

/** What a backend reports about its database calls. */
export interface StorageHealthSink {
  /** A database call failed with `code` (e.g. SQLITE_FULL, ECONNREFUSED). */
  failed(code: string, kind: 'read' | 'write', message: string): void;
  /** A write transaction committed. */
  writeSucceeded(): void;
}

/** Writes failing in one process: the code of the last failure and when the failures began. */
export interface WritesFailing {
  code: string;
  sinceMs: number;
}

/** The failure tracker of one process. */
export interface StorageHealth extends StorageHealthSink {
  /** Null while writes succeed. */
  writesFailing(): WritesFailing | null;
  /** Writes work again in another process of this master (one database): forget this one's failure. */
  recoveredElsewhere(): void;
}

/** Options of the tracker. */
export interface StorageHealthOptions {
  logger: Logger;
  clock: Clock;
  /** Counts every failure (the `argus_master_storage_errors_total{code}` counter). */
  count?: (code: string) => void;
  /** Called when writes start or stop failing (the cluster channel relays it to the other processes). */
  onChange?: (state: WritesFailing | null) => void;
  /** Least time between two log lines of an ongoing failure (default 60 s). */
  repeatLogMs?: number;
  /** Called after every successful write (the cluster channel tells the others when they still fail). */
  afterSuccess?: () => void;
}

/** Creates the tracker of one process. */
export function createStorageHealth(options: StorageHealthOptions): StorageHealth {
  const log = options.logger.child({ module: 'storage' });
  const repeatMs = options.repeatLogMs ?? 60_000;
  let failing: WritesFailing | null = null;
  // Per code: failures not yet logged, and when the last line about it was written.
  const pending = new Map<string, { count: number; loggedAtMs: number }>();
  let failuresSinceOk = 0;

  return {
    failed(code, kind, message) {
      options.count?.(code);
      failuresSinceOk++;
      const now = options.clock.now();
      const seen = pending.get(code);
      if (!seen) {
        pending.set(code, { count: 0, loggedAtMs: now });
        log.error({ code, kind, error: message }, 'storage failure');
      } else if (now - seen.loggedAtMs >= repeatMs) {
        log.error({ code, kind, error: message, count: seen.count + 1, sinceLastLineSeconds: Math.round((now - seen.loggedAtMs) / 1000) }, 'storage failures continue');
        pending.set(code, { count: 0, loggedAtMs: now });
      } else {
        seen.count++;
      }
      if (kind === 'write' && failing?.code !== code) {
        failing = { code, sinceMs: failing?.sinceMs ?? now };
        options.onChange?.(failing);
      }
    },
    writeSucceeded() {
      options.afterSuccess?.();
      if (failing === null && pending.size === 0) return;
      const was = failing;
      if (failuresSinceOk > 0) log.warn({ failures: failuresSinceOk, code: was?.code, failingSeconds: was ? Math.round((options.clock.now() - was.sinceMs) / 1000) : 0 }, 'database writes succeed again');
      failuresSinceOk = 0;
      pending.clear();
      failing = null;
      if (was) options.onChange?.(null);
    },
    writesFailing: () => failing,
    recoveredElsewhere() {
      if (failing === null && pending.size === 0) return;
      const was = failing;
      log.warn({ failures: failuresSinceOk, code: was?.code }, 'database writes succeed again (in another process of this master)');
      failuresSinceOk = 0;
      pending.clear();
      failing = null;
      if (was) options.onChange?.(null);
    },
  };
}
