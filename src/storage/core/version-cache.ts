// A cache of values built from the store, keyed by query and valid while the store's change version stays
// the same (any backend, any process or master making the change). Guarantees: a value is never served
// after the version moved; callers asking for the same query while it is being built share that one
// build (200 identical Prometheus polls cost one build and one hash, not 200); memory is bounded by entry
// count and bytes, and a value larger than the byte budget is built for its callers and not kept.

/** Options of a cache. */
export interface VersionCacheOptions<Q, D> {
  key: (query: Q) => string;
  /** The store's current change version (a cheap read). */
  version: () => Promise<string>;
  build: (query: Q) => Promise<D>;
  /**
   * The version a built value shows (the snapshot it was read in); by default the version read before
   * the build (a change committed meanwhile then costs one more build, never a stale answer).
   */
  versionOf?: (value: D) => string;
  /** A value's size for the byte budget (default 0: entries only). */
  bytesOf?: (value: D) => number;
  maxEntries?: number;
  maxBytes?: number;
}

/** Gets values through the cache. */
export type VersionCache<Q, D> = (query: Q) => Promise<D>;

/** Creates a cache (least recently used entries go first). */
export function createVersionCache<Q, D>(options: VersionCacheOptions<Q, D>): VersionCache<Q, D> {
  const maxEntries = options.maxEntries ?? 8;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const bytesOf = options.bytesOf ?? (() => 0);
  const entries = new Map<string, { version: string; value: D; bytes: number }>(); // insertion order = recency
  const building = new Map<string, { version: string; value: Promise<D> }>();
  let bytes = 0;

  const keep = (key: string, version: string, value: D) => {
    const old = entries.get(key);
    if (old) {
      bytes -= old.bytes;
      entries.delete(key);
    }
    const size = bytesOf(value);
    if (size > maxBytes) return;
    entries.set(key, { version, value, bytes: size });
    bytes += size;
    for (const [k, e] of entries) {
      if (entries.size <= maxEntries && bytes <= maxBytes) break;
      entries.delete(k);
      bytes -= e.bytes;
    }
  };

  return async (query) => {
    const key = options.key(query);
    const version = await options.version();
    const hit = entries.get(key);
    if (hit?.version === version) {
      entries.delete(key);
      entries.set(key, hit);
      return hit.value;
    }
    const pending = building.get(key);
    if (pending?.version === version) return pending.value;
    const value = options.build(query);
    building.set(key, { version, value });
    try {
      const built = await value;
      keep(key, options.versionOf ? options.versionOf(built) : version, built);
      return built;
    } finally {
      if (building.get(key)?.value === value) building.delete(key);
    }
  };
}
