// The version cache (discovery documents, the list, statistics and totals): valid only for the version it was built at, one build shared by
// concurrent callers, bounded in entries and bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVersionCache } from '../../src/storage/core/version-cache.js';

function fixture(options: { maxEntries?: number; maxBytes?: number } = {}) {
  let version = 1;
  const builds: string[] = [];
  let release: (() => void) | null = null;
  const cache = createVersionCache<string, { version: string; bytes: number; body: string }>({
    versionOf: (d) => d.version,
    bytesOf: (d) => d.bytes,
    key: (q) => q,
    version: async () => String(version),
    build: async (q) => {
      builds.push(q);
      if (release === null) return { version: String(version), bytes: q.length, body: `${q}@${version}` };
      await new Promise<void>((r) => { release = r; });
      return { version: String(version), bytes: q.length, body: `${q}@${version}` };
    },
    ...options,
  });
  return {
    cache, builds,
    bump: () => { version++; },
    hold: () => { release = () => undefined; },
    free: () => { const r = release; release = null; r?.(); },
  };
}

describe('document cache', () => {
  it('serves the cached document while the version stays, and rebuilds once it moved', async () => {
    const f = fixture();
    assert.equal((await f.cache('a')).body, 'a@1');
    assert.equal((await f.cache('a')).body, 'a@1');
    assert.deepEqual(f.builds, ['a']);
    f.bump();
    assert.equal((await f.cache('a')).body, 'a@2');
    assert.deepEqual(f.builds, ['a', 'a']);
  });

  it('shares one build between callers asking at once', async () => {
    const f = fixture();
    f.hold();
    const asks = Array.from({ length: 200 }, () => f.cache('q'));
    await new Promise((r) => setImmediate(r));
    f.free();
    const docs = await Promise.all(asks);
    assert.equal(f.builds.length, 1);
    assert.ok(docs.every((d) => d === docs[0]));
  });

  it('keeps at most maxEntries documents and none larger than maxBytes', async () => {
    const f = fixture({ maxEntries: 2, maxBytes: 10 });
    await f.cache('a');
    await f.cache('bb');
    await f.cache('a'); // a is now the most recent
    await f.cache('ccc'); // evicts bb
    await f.cache('a');
    await f.cache('bb');
    assert.deepEqual(f.builds, ['a', 'bb', 'ccc', 'bb']);
    await f.cache('x'.repeat(11));
    await f.cache('x'.repeat(11));
    assert.equal(f.builds.filter((b) => b.length === 11).length, 2, 'too large to keep');
  });
});
