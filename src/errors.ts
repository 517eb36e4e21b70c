// Typed errors with stable codes; the HTTP error handler is the only place that maps them to statuses.

/** Stable error codes of the registry. */
export type AppErrorCode = 'NODE_NOT_FOUND' | 'NOT_FOUND' | 'NAME_MISMATCH' | 'BAD_REQUEST' | 'CONFLICT' | 'UNAVAILABLE' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'GONE';

/** An expected failure of a use case, carrying a message fit for the API client. */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** Fields the answer carries beside `error` (e.g. `oldest` of a 410). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The node ID is not known. */
export function nodeNotFound(id: string): AppError {
  return new AppError('NODE_NOT_FOUND', `node ${id} not found`);
}

/** The request's token may not do this (a valid token that lacks the right). */
export function forbidden(message: string): AppError {
  return new AppError('FORBIDDEN', message);
}

/** A re-registration names a node whose stored name differs (the original answers 500). */
export function nameMismatch(id: string, storedName: string, givenName: string): AppError {
  return new AppError(
    'NAME_MISMATCH',
    `node ${id} is registered with name ${JSON.stringify(storedName)}, not ${JSON.stringify(givenName)}`,
  );
}

/** Events after the requested cursor were already deleted by retention (410, with the oldest kept). */
export function eventsPruned(oldest: number): AppError {
  return new AppError('GONE', `events after this cursor were deleted by retention; the oldest retained event is ${oldest}`, { oldest });
}

/**
 * A start-up problem the operator fixes by configuration (a database path this user may not write):
 * the command prints its message as one plain line and exits 2, like a bad variable.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** What a file system error means, in a few words (`EACCES` → "permission denied"). */
export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return e.message ?? String(err);
  }
}
