// Typed errors with stable codes; the HTTP error handler is the only place that maps them to statuses.

/** Stable error codes of the registry. */
export type AppErrorCode = 'NODE_NOT_FOUND' | 'NAME_MISMATCH' | 'BAD_REQUEST' | 'UNAVAILABLE' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'GONE';

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
