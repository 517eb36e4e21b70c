// Atomic file replacement. Guarantee: a reader of `path` sees either the old content or the whole new
// content, never a part: the data goes to a temporary file in the same directory, is fsynced, then
// renamed over the target (rename is atomic within a filesystem), and the directory is fsynced so the
// rename itself survives a crash. On any failure the temporary file is removed and the target is untouched.
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let sequence = 0;

/** What a file is written from: text, bytes, or bytes in parts (written one after the other). */
export type FileContent = string | Buffer | readonly Buffer[];

/** The size of `content` in bytes. */
export function byteLength(content: FileContent): number {
  return typeof content === 'string' || Buffer.isBuffer(content) ? Buffer.byteLength(content) : content.reduce((n, b) => n + b.length, 0);
}

/** Writes `content` to `path` atomically (see file header); creates the directory if needed. */
export async function writeFileAtomic(path: string, content: FileContent): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${++sequence}.tmp`);
  try {
    const fh = await open(tmp, 'w', 0o644);
    try {
      // writeFile writes from the current position and loops until every byte is written.
      if (typeof content === 'string' || Buffer.isBuffer(content)) await fh.writeFile(content, 'utf8');
      else for (const part of content) await fh.writeFile(part);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename has happened either way.
  } finally {
    await dh.close();
  }
}
