// Request text at the edge (SPEC §7, I-JSON RFC 7493). Guarantees: a body that is not valid UTF-8, a
// JSON string (value or key) holding a lone surrogate, a number that cannot be kept exactly (not
// finite `1e400`, an integer past 2^53 that would be rounded `12345678901234567890`, a non-zero number
// that would become 0 `1e-400`), an object with a name given twice, and a body nested deeper than
// MAX_BODY_DEPTH are refused with a 400 before any route sees them; the same holds for the
// percent-encoded bytes of a query string. So what is stored is what was sent, and nothing stored can
// later make a document the master emits invalid UTF-8. The checks walk the parsed value without
// recursion, and the text once with a native regular expression.
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
 * Every string of a JSON text from its opening quote (with `:` after it when it is a name), and every
 * number: the text is valid JSON (it parsed), so scanning from its start meets each string's opening
 * quote first and consumes the string whole; digits inside strings are never taken for numbers.
 */
const TOKENS = /"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?|-?\d[\d.eE+-]*/g;

/** Throws a 400 when the number literal `token` cannot be kept exactly as a JavaScript number. */
function checkNumberToken(token: string): void {
  const exponent = /[eE]/.test(token);
  if (token.length <= 15 && !exponent) return; // at most 15 digits: exact
  const n = Number(token);
  if (!Number.isFinite(n)) return; // refused by checkJsonText, with its path
  if (!exponent && !token.includes('.')) {
    if (!Number.isSafeInteger(n) && BigInt(token) !== BigInt(n)) throw bad(`the number ${token.slice(0, 40)} cannot be kept exactly (integers are exact up to 2^53); send it as a string`);
  } else if (n === 0 && /[1-9]/.test(token.split(/[eE]/)[0]!)) {
    throw bad(`the number ${token.slice(0, 40)} is too small to be kept (it would become 0); send it as a string`);
  }
}

/**
 * Throws a 400 when the JSON text names a member twice in one object (the parser keeps the last:
 * `objectKeys` members were kept of more given) or holds a number that cannot be kept exactly.
 */
export function checkJsonTokens(text: string, objectKeys: number): void {
  let names = 0;
  TOKENS.lastIndex = 0;
  for (let m = TOKENS.exec(text); m !== null; m = TOKENS.exec(text)) {
    if (m[0].charCodeAt(0) !== 0x22) checkNumberToken(m[0]);
    else if (m[1] !== undefined) names++;
  }
  if (names !== objectKeys) throw bad('an object names a member more than once; each name must be given once (I-JSON)');
}

/**
 * Throws a 400 unless every string and key in `value` is well-formed Unicode, every number finite and
 * the nesting at most `maxDepth` (the value itself is depth 1 when it is an object or array). Returns
 * how many members its objects hold (for `checkJsonTokens`).
 */
export function checkJsonText(value: unknown, where = 'body', maxDepth = MAX_BODY_DEPTH): number {
  let members = 0;
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
          members++;
          const at = loneSurrogate(k);
          if (at) throw bad(`a key in ${path} holds a lone surrogate (${at}); text must be valid Unicode`);
          stack.push({ v: child, path: `${path}/${k.slice(0, 64)}`, depth: depth + 1 });
        }
      }
    }
  }
  return members;
}

/**
 * Parses a JSON request body from its bytes: valid UTF-8 first, then JSON (by `parse`, Fastify's own
 * parser with its prototype-poisoning protection), then the text checks above.
 */
export function parseJsonBody(body: Buffer, parse: (text: string) => unknown): unknown {
  if (body.length === 0) throw bad('the body is empty; send a JSON object');
  if (!isUtf8(body)) throw bad('the body is not valid UTF-8');
  let value: unknown;
  const text = body.toString('utf8');
  try {
    value = parse(text);
  } catch (err) {
    throw bad(`the body is not valid JSON (${(err as Error).message})`);
  }
  checkJsonTokens(text, checkJsonText(value));
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
