// Strict decoding of what the master emits: UTF-8 that a fatal decoder accepts, JSON, and no string
// or key holding a lone surrogate (an escaped `\ud800` is valid UTF-8 but not valid Unicode text).
import assert from 'node:assert/strict';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes `bytes` as strict UTF-8 (throws on any invalid sequence). */
export function strictUtf8(bytes: Uint8Array | ArrayBuffer): string {
  return decoder.decode(bytes);
}

/** Throws unless every string and key in `value` is well-formed Unicode. */
export function assertWellFormed(value: unknown, what = 'document'): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') assert.ok(v.isWellFormed(), `${what} holds a lone surrogate: ${JSON.stringify(v)}`);
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        assert.ok(k.isWellFormed(), `${what} holds a key with a lone surrogate: ${JSON.stringify(k)}`);
        stack.push(child);
      }
    }
  }
}

/** Parses `bytes` as strict UTF-8 JSON of well-formed text, as Python's or Go's strict decoders would. */
export function strictJson(bytes: Uint8Array | ArrayBuffer, what = 'document'): any {
  const value: unknown = JSON.parse(strictUtf8(bytes));
  assertWellFormed(value, what);
  return value;
}
