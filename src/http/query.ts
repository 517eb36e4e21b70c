// Query-string parameters as the routes read them: lists (repeatable or comma-separated) and bounded
// integers, a bad value being a 400 that names the parameter.
import { AppError } from '../errors.js';

/** A repeatable or comma-separated parameter as a list of its non-empty, trimmed values. */
export function listParam(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** An integer parameter from `min` to `max`; null when absent. */
export function integerParam(name: string, raw: string | undefined, min: number, max: number): number | null {
  if (raw === undefined) return null;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max)) throw new AppError('BAD_REQUEST', `invalid request: ${name} must be an integer from ${min} to ${max}`);
  return n;
}
