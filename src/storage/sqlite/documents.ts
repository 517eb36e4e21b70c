// Published documents (nodes.json, Prometheus discovery), rendered by SQLite itself. Guarantees: a
// document is built on a read-only connection of its own inside one read transaction (one consistent
// snapshot, blocking no writer), in steps of a bounded number of nodes with the event loop free between
// them; it equals the domain's rendering (held so by the contract suite); builds run one at a time.
import type Database from 'better-sqlite3';
import type { StorageHealthSink } from '../health.js';
import type { NodeStore } from '../store.js';
import { openReader } from './connection.js';
import { translate } from './errors.js';
import { KV } from '../keys.js';
import { drivingLabel, type Selector } from '../../domain/selector.js';
import { namedBinder, selectorWhere } from './selector-sql.js';

/** Nodes per step of a published document: bounds a stall (~5–7 ms each on a 2-core machine). */
const NODES_FILE_STEP = 2_500;
/** Prepared document statements kept (most recently used). */
const STEPS_KEPT = 100;
const TARGET_GROUPS_STEP = 1_000;
/**
 * Published documents are built by SQLite itself, a step at a time: parsing every node's meta_data
 * and making a row object per node in JavaScript was most of a document's time (docs/PERFORMANCE.md,
 * "Figures behind the code"). A step looks at the next `@limit` nodes after seq `@after` (a range scan
 * of the `seq` index),
 * whatever their status, so that a step's work is bounded even when few nodes match (filtering in the
 * scan instead lets one step run through every node when few match), and
 * answers `part` (a JSON array of the matching ones, as a BLOB so better-sqlite3 hands over a Buffer,
 * not a string), `items` (its entries), `scanned` (nodes looked at) and `last` (the highest seq).
 */
interface StepRow {
  part: Buffer;
  items: number;
  scanned: number;
  last: number | null;
  /** Discovery only: selected nodes left out for a host that is not a scrape host, and their IDs. */
  invalid?: number;
  invalid_ids?: string;
}
/** IDs of left-out nodes a document names at most (the count is complete). */
const INVALID_IDS_KEPT = 20;
/** meta_data field `f` when it is a string, else '' (the domain's `str`). */
const metaText = (f: string) => `CASE WHEN json_type(meta_data, '$.${f}') = 'text' THEN meta_data ->> '$.${f}' ELSE '' END`;
/**
 * nodes.json: each online node's stored entry (`file_entry`, the domain's own rendering, written with
 * the node: migration 009), joined; a node without one (a row written around the store) is spelled out
 * here exactly as domain/nodes-file-entry.ts, with json_quote. The entries come in seq order without an
 * ORDER BY of their own: the step's subquery has a LIMIT, so SQLite cannot flatten it into the
 * aggregate and hands its rows over in its order (an ORDER BY here would sort them again).
 */
const NODES_FILE_STEP_SQL = `
  SELECT CAST('[' || coalesce(group_concat(coalesce(file_entry,
           '{"node_id":' || json_quote(id) || ',"user_id":' || json_quote(${metaText('user')}) || ',"ip":' || json_quote(${metaText('ip')})
           || ',"hostname":' || json_quote(${metaText('hostname')}) || ',"labels":' || json(label) || '}'), ',')
           FILTER (WHERE status = 'online'), '') || ']' AS BLOB) AS part,
         count(*) FILTER (WHERE status = 'online') AS items, count(*) AS scanned, max(seq) AS last
  FROM (SELECT seq, id, status, meta_data, label, file_entry FROM nodes WHERE seq > @after ORDER BY seq LIMIT @limit)`;
/** A target's host: meta_data.ip, else meta_data.hostname, else '' (no group). */
const TARGET_HOST = `CASE WHEN ${metaText('ip')} <> '' THEN ${metaText('ip')} ELSE ${metaText('hostname')} END`;
/**
 * Prometheus target groups: exactly domain/prometheus-sd.ts `toTargetGroups` (no group for a node with
 * neither ip nor hostname, or whose host is not a valid scrape host (argus_scrape_host, the domain's
 * `isScrapeHost`); label names sanitised by argus_label_name; a key/value label's `label_<key>` from the
 * first label of that key, over a plain label's "true"). `selected` is the selector's condition
 * (selector-sql.ts); @ports a JSON array. A node's host is computed once, and only for the nodes
 * selected (the CTE is materialised, so SQLite does not substitute the expression into every use);
 * `invalid` counts the selected nodes left out for their host, `invalid_ids` names up to 20 of them.
 */
const targetGroupsStepSql = (from: string, selected: string) => `
  WITH page AS MATERIALIZED (
    SELECT nodes.seq AS seq, id, name, version, status, nodes.label AS label, meta_data, health_state, conditions, maintenance,
           ${selected} AS selected
    ${from}
  ), hosted AS MATERIALIZED (
    SELECT page.*, CASE WHEN selected THEN ${TARGET_HOST} END AS host FROM page
  ), judged AS MATERIALIZED (
    SELECT hosted.*, selected AND host <> '' AND argus_scrape_host(host) AS listed FROM hosted
  )
  SELECT CAST(json_group_array(json_object(
           'targets', (SELECT json_group_array(CASE WHEN instr(host, ':') > 0 THEN '[' || host || ']:' || p.value ELSE host || ':' || p.value END)
                       FROM json_each(@ports) p),
           'labels', json_patch(json_patch(
             json_object('__meta_argus_node_id', id, '__meta_argus_name', name, '__meta_argus_hostname', ${metaText('hostname')},
                         '__meta_argus_user', ${metaText('user')}, '__meta_argus_instance', ${metaText('instance')},
                         '__meta_argus_env', ${metaText('env')}, '__meta_argus_version', version, '__meta_argus_status', status,
                         '__meta_argus_labels', ',' || coalesce((SELECT group_concat(value, ',') FROM json_each(label)), '') || ',',
                         '__meta_argus_health', health_state,
                         '__meta_argus_failing', ',' || coalesce((SELECT group_concat(value ->> '$.component', ',') FROM json_each(conditions)), '') || ',',
                         '__meta_argus_maintenance', CASE WHEN maintenance IS NULL THEN 'false' ELSE 'true' END),
             (SELECT json_group_object('__meta_argus_label_' || argus_label_name(value), 'true') FROM json_each(label))),
             (SELECT json_group_object(name, v) FROM (
                SELECT '__meta_argus_label_' || argus_label_name(substr(value, 1, instr(value, '=') - 1)) AS name,
                       substr(value, instr(value, '=') + 1) AS v, min(CAST(key AS INTEGER)) AS first
                FROM json_each(label) WHERE instr(value, '=') > 0 GROUP BY 1 ORDER BY first)))
         ) ORDER BY seq) FILTER (WHERE listed) AS BLOB) AS part,
         count(*) FILTER (WHERE listed) AS items, count(*) AS scanned, max(seq) AS last,
         count(*) FILTER (WHERE selected AND host <> '' AND NOT listed) AS invalid,
         json_group_array(id) FILTER (WHERE selected AND host <> '' AND NOT listed) AS invalid_ids
  FROM judged`;

/**
 * The step statement of a selector and its parameters: every node in steps of seq, or, when every
 * selected node has one label, only the nodes having it, through the label index (a 1% shard reads 1%
 * of the nodes, not the whole table).
 */
function targetGroupsStep(selector: Selector): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {};
  const bind = namedBinder(params);
  const driving = drivingLabel(selector);
  const from = driving === null
    ? 'FROM nodes WHERE seq > @after ORDER BY seq LIMIT @limit'
    : `FROM node_labels f JOIN nodes ON nodes.seq = f.seq WHERE f.label = ${bind(driving.label)} AND f.seq > @after ORDER BY f.seq LIMIT @limit`;
  return { sql: targetGroupsStepSql(from, `coalesce(${selectorWhere(driving?.rest ?? selector, bind)}, 0)`), params };
}

/** The published documents of the store on `db` (file `path`). */
export function createDocuments(db: Database.Database, path: string, health: StorageHealthSink | undefined): Pick<NodeStore, 'nodesFileDocument' | 'targetGroupsDocument'> & { close(): Promise<void> } {
  // Published documents are built on a read-only connection of their own, in steps with the event loop
  // free between them, all inside one read transaction (one consistent snapshot; in WAL mode it blocks
  // no writer): one statement, or JavaScript objects, blocked the process for tenths of a second to a
  // second at 100,000 nodes (docs/PERFORMANCE.md, "Figures behind the code"). An in-memory database has
  // no second connection: there a document is built in one step on the main one. Builds run one at a time.
  const inMemory = path === ':memory:';
  let reader: Database.Database | null = null;
  const steps = new Map<string, Database.Statement<[Record<string, unknown>], StepRow>>();
  let readQueue: Promise<unknown> = Promise.resolve();
  const buildInSteps = async (sql: string, stepSize: number, params: Record<string, unknown>): Promise<{ parts: Buffer[]; items: number; version: string; invalid: { count: number; nodeIds: string[] } }> => {
    if (!db.open) throw new TypeError('The database connection is not open');
    if (!inMemory && !reader) {
      reader = openReader(path);
    }
    let step = steps.get(sql);
    if (step) steps.delete(sql);
    else step = (reader ?? db).prepare(sql);
    // Kept by text, the most recently used (each selector's text is a statement of its own).
    steps.set(sql, step);
    if (steps.size > STEPS_KEPT) steps.delete(steps.keys().next().value!);
    const limit = inMemory ? Number.MAX_SAFE_INTEGER : stepSize;
    const parts: Buffer[] = [Buffer.from('[')];
    let items = 0;
    const invalid = { count: 0, nodeIds: [] as string[] };
    let version = '';
    reader?.exec('BEGIN');
    try {
      // The version of the snapshot the document is built from (read inside the read transaction).
      version = ((reader ?? db).prepare(`SELECT value FROM kv WHERE key = '${KV.changeVersion}'`).get() as { value: string }).value;
      // Bounded: every step moves `after` forward; the node count bounds it.
      for (let after = -1, round = 0; round < 1_000_000; round++) {
        const r = step.get({ ...params, after, limit })!;
        if (r.items > 0) {
          if (items > 0) parts.push(Buffer.from(','));
          parts.push(r.part.subarray(1, r.part.length - 1));
        }
        items += r.items;
        if (r.invalid) {
          invalid.count += r.invalid;
          for (const id of JSON.parse(r.invalid_ids ?? '[]') as string[]) if (invalid.nodeIds.length < INVALID_IDS_KEPT) invalid.nodeIds.push(id);
        }
        if (r.scanned < limit || r.last === null) break;
        after = r.last;
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      if (reader?.inTransaction) reader.exec('COMMIT');
    }
    parts.push(Buffer.from(']'));
    return { parts, items, version, invalid };
  };
  const stepped = (sql: string, stepSize: number, params: Record<string, unknown> = {}) => {
    const next = readQueue.then(() => buildInSteps(sql, stepSize, params)).catch((err: unknown) => translate(err, health, 'read'));
    readQueue = next.catch(() => undefined);
    return next;
  };

  return {
    nodesFileDocument: async () => {
      const { parts, items } = await stepped(NODES_FILE_STEP_SQL, NODES_FILE_STEP);
      parts.push(Buffer.from('\n'));
      return { parts, nodes: items };
    },
    targetGroupsDocument: async (query) => {
      const step = targetGroupsStep(query.selector);
      const { parts, items, version, invalid } = await stepped(step.sql, TARGET_GROUPS_STEP, { ...step.params, ports: JSON.stringify(query.ports) });
      return { parts, groups: items, version, invalidHosts: invalid };
    },
    async close() {
      await readQueue;
      if (reader?.open) reader.close();
    },
  };
}
