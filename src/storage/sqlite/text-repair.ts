// Repair of stored text that is not valid Unicode (migration 004): bytes that are not UTF-8 and lone
// surrogates, in plain columns and inside JSON columns, become U+FFFD. Registered as SQL functions.
import { isUtf8 } from 'node:buffer';

/** The stored value's bytes (SQLite hands text that is not UTF-8 over as given when cast to a BLOB). */
const bytesOf = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));

/** Whether a column value is text that is not valid Unicode. */
export function textIsBad(value: unknown): boolean {
  const bytes = bytesOf(value);
  return !isUtf8(bytes) || !bytes.toString('utf8').isWellFormed();
}

/** The value with every invalid sequence and lone surrogate replaced by U+FFFD. */
export function repairText(value: unknown): string {
  return bytesOf(value).toString('utf8').toWellFormed();
}

function wellFormedDeep(v: unknown): unknown {
  if (typeof v === 'string') return v.toWellFormed();
  if (Array.isArray(v)) return v.map(wellFormedDeep);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toWellFormed(), wellFormedDeep(x)]));
  return v;
}

/** Whether a JSON column holds text that is not valid Unicode (raw, or as an escaped lone surrogate). */
export function jsonIsBad(value: unknown): boolean {
  if (textIsBad(value)) return true;
  const text = bytesOf(value).toString('utf8');
  return /\\u[dD][89a-fA-F]/.test(text) && JSON.stringify(wellFormedDeep(JSON.parse(text))) !== JSON.stringify(JSON.parse(text));
}

/** The JSON column with every string and key made well-formed. */
export function repairJson(value: unknown): string {
  return JSON.stringify(wellFormedDeep(JSON.parse(repairText(value))));
}
