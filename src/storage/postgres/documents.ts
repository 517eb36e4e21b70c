// Published documents (nodes.json, Prometheus discovery) of the PostgreSQL store. Guarantees: a document
// is built from one consistent snapshot (a REPEATABLE READ, READ ONLY transaction of its own), read in
// pages of a bounded number of nodes with the event loop free between them; discovery is rendered by the
// domain's own toTargetGroup (equal by construction), nodes.json by SQL (its five fields, as
// toNodesFileEntry); both held equal to the domain's rendering by the contract suite. Builds run one at a time per process.
import type pg from 'pg';
import { KV } from '../keys.js';
import type { NodeStatus } from '../../domain/status.js';
import { toTargetGroup } from '../../domain/prometheus-sd.js';
import type { PublishedNode } from '../../domain/node.js';
import type { StorageHealthSink } from '../health.js';
import type { NodeStore, TargetGroupsQuery } from '../store.js';
import { translate } from './errors.js';

/** Nodes read per page of a document. */
const PAGE = 2_500;
/** IDs of left-out nodes a document names at most (the count is complete). */
const INVALID_IDS_KEPT = 20;

/**
 * A page of the nodes having every label of $3, walked through the first one's `node_labels` entries
 * (its primary key is (label, seq)): a 1% shard reads 1% of the nodes, not every node's labels in seq
 * order (docs/PERFORMANCE.md, "Figures behind the code").
 */
const BY_LABEL_PAGE_SQL = `
  SELECT n.seq, n.id, n.name, n.type, n.version, n.status, n.meta_data, n.label
  FROM node_labels f JOIN nodes n ON n.seq = f.seq
  WHERE f.label = ($3::text[])[1] AND f.seq > $1 AND n.status = ANY($2::text[])
    AND (SELECT count(*) FROM node_labels l WHERE l.seq = f.seq AND l.label = ANY($3::text[])) = cardinality($3::text[])
  ORDER BY f.seq LIMIT $4`;

/** meta_data field `f` as a JSON string when it is a string, else "" (the domain's toNodesFileEntry). */
const metaString = (f: string) => `to_json(CASE WHEN json_typeof(meta_data::json -> '${f}') = 'string' THEN meta_data::json ->> '${f}' ELSE '' END)::text`;
/**
 * A page of nodes.json: the next $2 online nodes after seq $1, each its stored entry (`file_entry`, the
 * domain's own rendering, written with the node: migration 002), joined by commas; a node without one
 * (a row written around the store) is spelled out in SQL as toNodesFileEntry (CASE: its meta_data is
 * parsed only then): parsing every node's meta_data was most of a million-node file's time
 * (docs/PERFORMANCE.md, "Figures behind the code").
 */
const NODES_FILE_PAGE_SQL = `
  SELECT coalesce(string_agg(entry, ',' ORDER BY seq), '') AS part, count(*)::int AS items, max(seq) AS last
  FROM (SELECT seq, CASE WHEN file_entry IS NOT NULL THEN file_entry
                    ELSE '{"node_id":' || to_json(id)::text || ',"user_id":' || ${metaString('user')} || ',"ip":' || ${metaString('ip')}
                         || ',"hostname":' || ${metaString('hostname')} || ',"labels":' || label::json::text || '}' END AS entry
        FROM nodes WHERE seq > $1 AND status = 'online' ORDER BY seq LIMIT $2) e`;

interface PublishedRow {
  seq: number;
  id: string;
  name: string;
  type: string;
  version: string;
  status: NodeStatus;
  meta_data: string;
  label: string;
}

export function createPgDocuments(pool: pg.Pool, health: StorageHealthSink | undefined): Pick<NodeStore, 'nodesFileDocument' | 'targetGroupsDocument'> {
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs `read` in one snapshot (a REPEATABLE READ, READ ONLY transaction); answers the list version read in it too. */
  const inSnapshot = async (read: (client: pg.PoolClient) => Promise<void>): Promise<string> => {
    const client = await pool.connect();
    let failed: unknown = null;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const version = (await client.query<{ value: string }>(`SELECT value FROM kv WHERE key = '${KV.changeVersion}'`)).rows[0]!.value;
      await read(client);
      await client.query('COMMIT');
      return version;
    } catch (err) {
      failed = err;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release(failed instanceof Error ? failed : undefined);
    }
  };

  /** Every node of `statuses` with every label of `labels`, by seq, page by page in one snapshot; `each` renders one. */
  const build = (statuses: readonly string[], labels: readonly string[], each: (n: PublishedNode) => void): Promise<string> =>
    inSnapshot(async (client) => {
      const wanted = [...new Set(labels)];
      for (let after = -1, round = 0; round < 1_000_000; round++) {
        const rows = (await client.query<PublishedRow>(
          wanted.length === 0
            ? `SELECT seq, id, name, type, version, status, meta_data, label FROM nodes
               WHERE seq > $1 AND status = ANY($2::text[]) ORDER BY seq LIMIT $3`
            : BY_LABEL_PAGE_SQL,
          wanted.length === 0 ? [after, [...statuses], PAGE] : [after, [...statuses], wanted, PAGE],
        )).rows;
        for (const r of rows) {
          const meta = JSON.parse(r.meta_data) as PublishedNode['metaData'];
          each({ id: r.id, name: r.name, type: r.type, version: r.version, status: r.status, metaData: meta, label: JSON.parse(r.label) as string[] });
        }
        if (rows.length < PAGE) break;
        after = rows.at(-1)!.seq;
        await new Promise((resolve) => setImmediate(resolve));
      }
    });

  const oneAtATime = <T>(run: () => Promise<T>): Promise<T> => {
    const next = queue.then(run).catch((err: unknown) => translate(err, health, 'read'));
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    nodesFileDocument: () =>
      oneAtATime(async () => {
        const parts: Buffer[] = [Buffer.from('[')];
        let nodes = 0;
        await inSnapshot(async (client) => {
          for (let after = -1, round = 0; round < 1_000_000; round++) {
            const page = (await client.query<{ part: string; items: number; last: string | null }>(NODES_FILE_PAGE_SQL, [after, PAGE])).rows[0]!;
            if (page.items > 0) parts.push(Buffer.from(nodes > 0 ? `,${page.part}` : page.part, 'utf8'));
            nodes += page.items;
            if (page.items < PAGE || page.last === null) break;
            after = Number(page.last);
            await new Promise((resolve) => setImmediate(resolve));
          }
        });
        parts.push(Buffer.from(']\n'));
        return { parts, nodes };
      }),
    targetGroupsDocument: (query: TargetGroupsQuery) =>
      oneAtATime(async () => {
        const groups: string[] = [];
        const invalid = { count: 0, nodeIds: [] as string[] };
        const version = await build(query.statuses, query.labels, (n) => {
          const group = toTargetGroup(n, query.ports);
          if (group) groups.push(JSON.stringify(group));
          else if ((typeof n.metaData.ip === 'string' && n.metaData.ip !== '') || (typeof n.metaData.hostname === 'string' && n.metaData.hostname !== '')) {
            invalid.count++;
            if (invalid.nodeIds.length < INVALID_IDS_KEPT) invalid.nodeIds.push(n.id);
          }
        });
        return { parts: [Buffer.from(`[${groups.join(',')}]`, 'utf8')], groups: groups.length, version, invalidHosts: invalid };
      }),
  };
}
