// Hashing of documents that may be large (a 100,000-node discovery document is 36 MB): content in
// parts is hashed a part at a time with the event loop free in between; SHA-1 of such a document in
// one call blocks the process for tens of milliseconds.
import { createHash } from 'node:crypto';
import type { FileContent } from './publish/atomic-write.js';

/** The SHA-1 of `content` (text, bytes, or bytes in parts, hashed as their concatenation). */
export async function sha1Of(content: FileContent, encoding: 'hex' | 'base64url'): Promise<string> {
  const hash = createHash('sha1');
  if (typeof content === 'string' || Buffer.isBuffer(content)) return hash.update(content).digest(encoding);
  for (const part of content) {
    hash.update(part);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return hash.digest(encoding);
}
