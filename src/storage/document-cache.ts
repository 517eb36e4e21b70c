// A cache of documents built from the store, keyed by query and valid while the store's change version
// stays the same (any backend). Guarantees: a document is never served after the version moved; callers
// asking for the same query while it is being built share that one build (200 identical Prometheus
// polls cost one build and one hash, not 200); memory is bounded by entry count and bytes, and a
// document larger than the byte budget is built for its callers and not kept.

/** A cached document: what it holds, its size and the version of the snapshot it came from. */
export interface Cacheable {
  version: string;
  bytes: number;
}

/** Options of a cache. */
export interface DocumentCacheOptions<Q, D extends Cacheable> {
  key: (query: Q) => string;
  /** The store's current change version (a cheap read). */
  version: () => Promise<string>;
  build: (query: Q) => Promise<D>;
  maxEntries?: number;
  maxBytes?: number;
}

/** Gets documents through the cache. */
export type DocumentCache<Q, D> = (query: Q) => Promise<D>;

/** Creates a cache (least recently used entries go first). */
export function createDocumentCache<Q, D extends Cacheable>(options: DocumentCacheOptions<Q, D>): DocumentCache<Q, D> {
  const maxEntries = options.maxEntries ?? 8;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const entries = new Map<string, D>(); // insertion order = recency
  const building = new Map<string, { version: string; doc: Promise<D> }>();
  let bytes = 0;

  const keep = (key: string, doc: D) => {
    const old = entries.get(key);
    if (old) {
      bytes -= old.bytes;
      entries.delete(key);
    }
    if (doc.bytes > maxBytes) return;
    entries.set(key, doc);
    bytes += doc.bytes;
    for (const [k, d] of entries) {
      if (entries.size <= maxEntries && bytes <= maxBytes) break;
      entries.delete(k);
      bytes -= d.bytes;
    }
  };

  return async (query) => {
    const key = options.key(query);
    const version = await options.version();
    const hit = entries.get(key);
    if (hit?.version === version) {
      entries.delete(key);
      entries.set(key, hit);
      return hit;
    }
    const pending = building.get(key);
    if (pending?.version === version) return pending.doc;
    const doc = options.build(query);
    building.set(key, { version, doc });
    try {
      const built = await doc;
      keep(key, built);
      return built;
    } finally {
      if (building.get(key)?.doc === doc) building.delete(key);
    }
  };
}
