// Prometheus discovery documents (SPEC §7): built by the store, cached per query until the fleet changes
// (identical polls share one build and one hash), each with its ETag (a SHA-1 of its bytes). Nodes left
// out for their host are counted in /metrics and logged once per distinct set, not on every poll.
import type { Logger } from 'pino';
import type { Selector } from '../domain/selector.js';
import { sha1Of } from '../hash.js';
import type { Metrics } from '../metrics.js';
import { createVersionCache } from '../storage/core/version-cache.js';
import type { NodeStore, TargetGroupsDocument, TargetGroupsQuery } from '../storage/store.js';

/** The online nodes: the file_sd file's. */
const ONLINE: Selector = [{ kind: 'field', field: 'status', op: 'in', values: ['online'] }];

/** A discovery document as served: the store's document, its size and its ETag. */
export interface DiscoveryDocument extends TargetGroupsDocument {
  etag: string;
  bytes: number;
}

/** The discovery documents of a store. */
export function createDiscovery(store: Pick<NodeStore, 'targetGroupsDocument' | 'changeVersion'>, log: Logger, metrics?: Pick<Metrics, 'sdInvalidHosts'>) {
  let invalidLogged = '';
  const noteInvalidHosts = (doc: TargetGroupsDocument) => {
    const { count, nodeIds } = doc.invalidHosts;
    metrics?.sdInvalidHosts.set(count);
    const signature = `${count}:${nodeIds.join(',')}`;
    if (count > 0 && signature !== invalidLogged) log.warn({ count, nodeIds }, 'discovery left out nodes whose meta_data.ip/hostname is not an IP address or host name');
    invalidLogged = count > 0 ? signature : '';
    return doc;
  };
  const cached = createVersionCache<TargetGroupsQuery, DiscoveryDocument>({
    key: (q) => JSON.stringify([q.selector, q.ports]),
    version: () => store.changeVersion(),
    versionOf: (d) => d.version,
    bytesOf: (d) => d.bytes,
    build: async (q) => {
      const doc = noteInvalidHosts(await store.targetGroupsDocument(q));
      const bytes = doc.parts.reduce((n, p) => n + p.length, 0);
      return { ...doc, bytes, etag: `"${await sha1Of(doc.parts, 'base64url')}"` };
    },
  });
  return {
    /** The target groups of the nodes a query selects (http_sd), cached. */
    targetGroups: (query: TargetGroupsQuery) => cached(query),
    /** The target groups of the online nodes for the file_sd file (not cached: its publisher keeps a digest). */
    fileSdDocument: async (ports: readonly number[]) => noteInvalidHosts(await store.targetGroupsDocument({ selector: ONLINE, ports })),
  };
}
