// Query-string parameters as the routes read them: lists (repeatable or comma-separated) and bounded
// integers, a bad value being a 400 that names the parameter.
import { AppError } from '../errors.js';
import { isNodeIdShape } from '../domain/node.js';

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

/** A keyset page's `after` (SPEC §9.5): a node ID, or null when absent. */
export function afterParam(raw: string | undefined): string | null {
  if (raw !== undefined && !isNodeIdShape(raw)) throw new AppError('BAD_REQUEST', 'invalid request: after must be a node ID');
  return raw ?? null;
}

/** The `Link` to the page after `next`: this request's URL with `after` set, and `limit` when it had none. */
export function nextPageLink(url: string, next: string, limit: number): string {
  const params = new URLSearchParams(url.split('?')[1] ?? '');
  params.set('after', next);
  if (!params.has('limit')) params.set('limit', String(limit));
  return `<${url.split('?')[0]}?${params.toString()}>; rel="next"`;
}
