// Size and shape limits on what a client may store (hostile-input hardening). Checked at the HTTP edge,
// after schema validation; a violation is a 400 naming the field and the limit.
import { MAX_LABEL_LENGTH, MAX_LABELS } from './domain/labels.js';
import { AppError } from './errors.js';

/** The limits, in one place (documented in docs/api.md). */
export const LIMITS = {
  /** name, type, version, id, and every string inside meta_data. */
  maxStringLength: 256,
  maxLabels: MAX_LABELS,
  maxLabelLength: MAX_LABEL_LENGTH,
  /** Serialised size of meta_data, config and health, each. */
  maxObjectBytes: 16 * 1024,
  /** Nesting depth of meta_data, config and health (the object itself is depth 1). */
  maxDepth: 8,
} as const;

/** Nesting depth of a JSON value (an object or array is 1 plus its deepest child), without recursion. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, depth + 1);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}

function longString(value: unknown, max: number, path: string): string | null {
  if (typeof value === 'string') return value.length > max ? path : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [k, v] of Object.entries(value)) {
    if (k.length > max) return `${path} key ${JSON.stringify(k.slice(0, 32))}…`;
    const found = longString(v, max, Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`);
    if (found) return found;
  }
  return null;
}

/** Throws a 400 when `value` (a JSON object from the body) exceeds the size or depth limit. */
export function checkObjectLimits(field: string, value: unknown, options: { stringsAtMost?: number } = {}): void {
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > LIMITS.maxObjectBytes) {
    throw new AppError('BAD_REQUEST', `invalid request: body/${field} is ${bytes} bytes; at most ${LIMITS.maxObjectBytes} are allowed`);
  }
  if (depthOf(value) > LIMITS.maxDepth) {
    throw new AppError('BAD_REQUEST', `invalid request: body/${field} is nested deeper than ${LIMITS.maxDepth} levels`);
  }
  if (options.stringsAtMost !== undefined) {
    const at = longString(value, options.stringsAtMost, `body/${field}`);
    if (at) throw new AppError('BAD_REQUEST', `invalid request: ${at} is longer than ${options.stringsAtMost} characters`);
  }
}
