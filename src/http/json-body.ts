// Request text at the edge (SPEC §7, I-JSON RFC 7493). Guarantees: a body that is not valid UTF-8, a
// JSON string (value or key) holding a lone surrogate, a number that is not finite (`1e400`) and a
// body nested deeper than MAX_BODY_DEPTH are refused with a 400 before any route sees them; the same
// holds for the percent-encoded bytes of a query string. So nothing stored can later make a document
// the master emits invalid UTF-8. The checks walk the parsed value without recursion.
import { isUtf8 } from 'node:buffer';
import { AppError } from '../errors.js';

declare global {
  // ES2024, present in Node.js 20 (V8 11.3); the project's lib stays at ES2023 so that APIs Node 20
  // lacks are not typed as available.
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/** Deepest nesting of a whole request body (meta_data, config and health allow 8 below it). */
export const MAX_BODY_DEPTH = 32;

const bad = (why: string) => new AppError('BAD_REQUEST', `invalid request: ${why}`);

/** The first code point that is a lone surrogate in `s`, as `U+D800`; null when `s` is well formed. */
function loneSurrogate(s: string): string | null {
  if (s.isWellFormed()) return null;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) return `U+${c.toString(16).toUpperCase()}`;
  }
  return null;
}

/**
 * Throws a 400 unless every string and key in `value` is well-formed Unicode, every number finite and
 * the nesting at most `maxDepth` (the value itself is depth 1 when it is an object or array).
 */
export function checkJsonText(value: unknown, where = 'body', maxDepth = MAX_BODY_DEPTH): void {
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: where, depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const at = loneSurrogate(v);
      if (at) throw bad(`${path} holds a lone surrogate (${at}); text must be valid Unicode`);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw bad(`${path} is a number out of range (not finite)`);
    } else if (v !== null && typeof v === 'object') {
      if (depth + 1 > maxDepth) throw bad(`${where} is nested deeper than ${maxDepth} levels`);
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}/${i}`, depth: depth + 1 });
      } else {
        for (const [k, child] of Object.entries(v)) {
          const at = loneSurrogate(k);
          if (at) throw bad(`a key in ${path} holds a lone surrogate (${at}); text must be valid Unicode`);
          stack.push({ v: child, path: `${path}/${k.slice(0, 64)}`, depth: depth + 1 });
        }
      }
    }
  }
}

/**
 * Parses a JSON request body from its bytes: valid UTF-8 first, then JSON (by `parse`, Fastify's own
 * parser with its prototype-poisoning protection), then the text checks above.
 */
export function parseJsonBody(body: Buffer, parse: (text: string) => unknown): unknown {
  if (body.length === 0) throw bad('the body is empty; send a JSON object');
  if (!isUtf8(body)) throw bad('the body is not valid UTF-8');
  let value: unknown;
  try {
    value = parse(body.toString('utf8'));
  } catch (err) {
    throw bad(`the body is not valid JSON (${(err as Error).message})`);
  }
  checkJsonText(value);
  return value;
}

/**
 * Throws a 400 when the query string of `url` percent-encodes bytes that are not UTF-8 (`%FF`, a lone
 * surrogate `%ED%A0%80`, a truncated `%E2%82`): the query parser would keep them as literal text.
 */
export function checkQueryEncoding(url: string): void {
  const q = url.indexOf('?');
  if (q < 0 || url.indexOf('%', q) < 0) return;
  const query = url.slice(q + 1);
  for (const part of query.split(/[&=]/)) {
    if (!part.includes('%')) continue;
    const bytes: number[] = [];
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(part.slice(i + 1, i + 3))) {
        bytes.push(parseInt(part.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(part[i]!, 'utf8'));
      }
    }
    if (!isUtf8(Buffer.from(bytes))) throw bad('the query string percent-encodes bytes that are not valid UTF-8');
  }
}
