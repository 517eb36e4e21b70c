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
import type { HealthState, Selector } from '../../domain/selector.js';
import { filterSql } from './reads.js';
import { translate } from './errors.js';

/** Nodes read per page of a document. */
const PAGE = 2_500;
/** IDs of left-out nodes a document names at most (the count is complete). */
const INVALID_IDS_KEPT = 20;

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
  health_state: HealthState;
  conditions: string;
  maintenance: string | null;
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

  /**
   * Every node the selector selects, by seq, page by page in one snapshot (through the label index when
   * every selected node has one label: a 1% shard reads 1% of the nodes); `each` renders one.
   */
  const build = (selector: Selector, each: (n: PublishedNode) => void): Promise<string> =>
    inSnapshot(async (client) => {
      const { from, where, params } = filterSql({ selector, q: null }, 3);
      const sql = `SELECT nodes.seq, nodes.id, nodes.name, nodes.type, nodes.version, nodes.status, nodes.meta_data, nodes.label,
                          nodes.health_state, nodes.conditions, nodes.maintenance
                   FROM ${from} WHERE nodes.seq > $1 AND ${where} ORDER BY nodes.seq LIMIT $2`;
      for (let after = -1, round = 0; round < 1_000_000; round++) {
        const rows = (await client.query<PublishedRow>(sql, [after, PAGE, ...params])).rows;
        for (const r of rows) {
          const meta = JSON.parse(r.meta_data) as PublishedNode['metaData'];
          const conditions = JSON.parse(r.conditions) as Array<{ component: string }>;
          each({ id: r.id, name: r.name, type: r.type, version: r.version, status: r.status, metaData: meta, label: JSON.parse(r.label) as string[], healthState: r.health_state, conditions, maintenance: r.maintenance });
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
        const version = await build(query.selector, (n) => {
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
