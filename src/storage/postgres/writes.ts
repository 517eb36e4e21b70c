// The writes of the PostgreSQL store: registration, read-modify-write updates, the chunked sweep,
// garbage collection, retention and operational state, the same steps as SQLite's writes.ts. Guarantees:
// every write goes through the group commit (group-commit.ts: one transaction per batch, events and the
// change version written at its end under the advisory lock that orders them across masters), and
// resolves only after it committed; read-modify-write steps read the row FOR UPDATE; every transaction
// that changes what the list, statistics or discovery show bumps the change version.
import type pg from 'pg';
import { isFlapTransition, recordFlapTransition, type FlapSettings } from '../../domain/flapping.js';
import { deregisteredEvent, flappingEvent, registeredEvent, reregisteredEvents, statusEvent, updateEvents, type EventDraft, type StoredEvent } from '../../domain/events.js';
import type { NodeRecord, RegistrationInput, StatusTransition } from '../../domain/node.js';
import type { NodeStatus } from '../../domain/status.js';
import type { StorageHealthSink } from '../health.js';
import { changedColumns, changesPublished, fileEntryOf, fromRow, NODE_COLUMN_PG_TYPES, NODE_COLUMNS, toParams, withStatusSince, type NodeRow } from '../rows.js';
import type { EventRetention, NodeStore, RegisterOptions, RegisterOutcome } from '../store.js';
import { translate } from './errors.js';
import { createPgGroupCommit, deferEvents, type BatchHooks, type Fence, type PgWrite, type StagedNode, type TxTail, type WriteKind } from './group-commit.js';

const PRUNE_STEP = 1_000;
const SWEEP_CHUNK = 250;
/** A write that reads or writes nodes by its own statements (not an update by ID). */
const DIRECT: WriteKind = { direct: true };
/** Write transactions a process runs at once (of its pool of 8 connections; the rest read). */
const WRITE_BATCHES = 4;


interface ChunkRow {
  id: string;
  from: NodeStatus;
  seq: number;
  flapping: number;
  flap_times: string;
}

type Client = pg.PoolClient;

const byId = async (c: Client, id: string) => (await c.query<NodeRow>('SELECT * FROM nodes WHERE id = $1 FOR UPDATE', [id])).rows[0];

async function setLabels(c: Client, seq: number, labels: readonly string[]) {
  await c.query('DELETE FROM node_labels WHERE seq = $1', [seq]);
  if (labels.length > 0) await c.query('INSERT INTO node_labels (label, seq) SELECT DISTINCT unnest($1::text[]), $2::bigint ON CONFLICT DO NOTHING', [labels, seq]);
}

/** The nodes of a batch of updates, locked in seq order (so that two such batches cannot deadlock). */
const hooks: BatchHooks = {
  async prepare(c, tail, ids) {
    for (const row of (await c.query<NodeRow>('SELECT * FROM nodes WHERE id = ANY($1::text[]) ORDER BY seq FOR UPDATE', [ids])).rows) {
      tail.staged!.set(row.id, { row, record: fromRow(row), changed: {} });
    }
  },
  async flush(c, tail) {
    // One UPDATE for each set of changed columns (status reports all change the same few).
    const groups = new Map<string, StagedNode[]>();
    for (const node of tail.staged!.values()) {
      const columns = Object.keys(node.changed).sort();
      if (columns.length === 0) continue;
      const key = columns.join(',');
      groups.set(key, [...(groups.get(key) ?? []), node]);
    }
    for (const [key, nodes] of groups) {
      const columns = key.split(',');
      const arrays = columns.map((col) => nodes.map((n) => n.changed[col] ?? null));
      const from = columns.map((col, i) => `$${i + 2}::${NODE_COLUMN_PG_TYPES[col as keyof typeof NODE_COLUMN_PG_TYPES]}[]`).join(', ');
      await c.query(
        `UPDATE nodes SET ${columns.map((col) => `${col} = v.${col}`).join(', ')} FROM unnest($1::text[], ${from}) AS v(id, ${columns.join(', ')}) WHERE nodes.id = v.id`,
        [nodes.map((n) => n.row.id), ...arrays],
      );
    }
  },
};

/** Removes nodes with their labels and a `node.deregistered` event each. */
async function removeNodes(c: Client, tail: TxTail, nodes: ReadonlyArray<{ id: string; seq: number }>, cause: 'admin' | 'gc', nowMs: number): Promise<StoredEvent[]> {
  const seqs = nodes.map((n) => n.seq);
  await c.query('DELETE FROM nodes WHERE seq = ANY($1::bigint[])', [seqs]);
  await c.query('DELETE FROM node_labels WHERE seq = ANY($1::bigint[])', [seqs]);
  tail.bumpList = true;
  return deferEvents(tail, nodes.map((n) => deregisteredEvent(n.id, cause)), nowMs);
}

export function createPgWrites(pool: pg.Pool, health: StorageHealthSink | undefined, fence?: Fence): Pick<NodeStore, 'register' | 'update' | 'sweep' | 'putState' | 'deleteState' | 'pruneExpiredState' | 'pruneEvents' | 'deregister' | 'collectGarbage' | 'settleFlapping'> {
  // The leader's sweeping side (fenced) writes one batch at a time: its chunks follow one another.
  const batch = createPgGroupCommit(pool, { fence, parallel: fence ? 1 : WRITE_BATCHES, hooks });
  const write = <T>(run: PgWrite<T>, kind?: WriteKind): Promise<T> =>
    batch(run, kind).then(
      (value) => {
        health?.writeSucceeded();
        return value;
      },
      (err: unknown) => translate(err, health, 'write'),
    );

  /** Runs `step` until it returns fewer than SWEEP_CHUNK items, each to `onChunk` (and to `keep` if given); returns how many. */
  const inChunks = async <T>(step: PgWrite<T[]>, onChunk?: (items: T[]) => void, keep?: T[]): Promise<number> => {
    let count = 0;
    for (let round = 0; round < 1_000_000; round++) {
      const items = await write(step, DIRECT);
      if (items.length > 0) onChunk?.(items);
      count += items.length;
      if (keep) for (const item of items) keep.push(item);
      if (items.length < SWEEP_CHUNK) break;
    }
    return count;
  };
  /** `inChunks` keeping the items, for the callers that answer them. */
  const allInChunks = async <T>(step: PgWrite<T[]>, onChunk?: (items: T[]) => void): Promise<T[]> => {
    const all: T[] = [];
    await inChunks(step, onChunk, all);
    return all;
  };

  const registerTx = async (c: Client, tail: TxTail, input: RegistrationInput, nowMs: number, idPrefix: string, options: RegisterOptions): Promise<RegisterOutcome> => {
    let existing: NodeRow | undefined;
    if (input.id !== null) {
      existing = await byId(c, input.id);
      if (!existing) return { kind: 'unknown-id' };
      options.guard?.(fromRow(existing));
      if (existing.name !== input.name) return { kind: 'name-mismatch', storedName: existing.name };
    } else {
      existing = (await c.query<NodeRow>('SELECT * FROM nodes WHERE name = $1 FOR UPDATE', [input.name])).rows[0];
      options.guard?.(existing ? fromRow(existing) : null);
    }
    if (existing) {
      const before = fromRow(existing);
      const node: NodeRecord = { ...before, type: input.type, version: input.version, metaData: input.metaData, lastUpdatedMs: nowMs };
      await c.query('UPDATE nodes SET type = $2, version = $3, meta_data = $4, last_updated = $5, file_entry = $6 WHERE id = $1', [node.id, node.type, node.version, JSON.stringify(node.metaData), nowMs, fileEntryOf(node)]);
      const events = deferEvents(tail, reregisteredEvents(before, node), nowMs);
      if (events.length > 0) tail.bumpList = true;
      return { kind: 'updated', before, node, events };
    }
    const seq = Number((await c.query<{ value: string }>("UPDATE kv SET value = (value::bigint + 1)::text WHERE key = 'node_id_counter' RETURNING value")).rows[0]!.value);
    if (input.id === null) {
      // The counter's row lock orders every creation across masters: a master that created this name
      // while we waited for it has committed, and this statement (a new snapshot) sees its node. Then it
      // is a re-registration, and the number goes back (nobody else can have taken one since).
      const raced = (await c.query<NodeRow>('SELECT * FROM nodes WHERE name = $1 FOR UPDATE', [input.name])).rows[0];
      if (raced) {
        await c.query("UPDATE kv SET value = (value::bigint - 1)::text WHERE key = 'node_id_counter'");
        return registerTx(c, tail, input, nowMs, idPrefix, options);
      }
    }
    const id = `${idPrefix}${seq}`;
    const node: NodeRecord = {
      id, name: input.name, type: input.type, version: input.version, status: 'initialized', config: {}, label: [], metaData: input.metaData, health: {},
      registerTimeMs: nowMs, lastReportMs: null, agentLastReportMs: null, lastUpdatedMs: nowMs, statusSinceMs: nowMs, flapping: false, flapTimesMs: [],
      tokenHash: options.tokenHashFor?.(id) ?? null,
    };
    const params: Record<string, unknown> = { ...toParams(node), seq };
    await c.query(`INSERT INTO nodes (${NODE_COLUMNS.join(', ')}) VALUES (${NODE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, NODE_COLUMNS.map((k) => params[k]));
    tail.bumpList = true;
    return { kind: 'created', node, events: deferEvents(tail, [registeredEvent(node)], nowMs) };
  };

  const updateTx = async (c: Client, tail: TxTail, id: string, mutate: (n: NodeRecord) => NodeRecord) => {
    const staged = tail.staged?.get(id);
    if (tail.staged && !staged) return null; // read at the batch's start: no such node
    const row = staged ? staged.row : await byId(c, id);
    if (!row) return null;
    const before = staged ? staged.record : fromRow(row);
    const mutated = mutate(before);
    const after = withStatusSince(before, mutated);
    const changed = changedColumns(row, before, after);
    const columns = Object.keys(changed);
    if (columns.length > 0) {
      if (staged) {
        // Written at the batch's end (flush); later updates of this node in the batch start from here.
        Object.assign(staged.row, changed);
        Object.assign(staged.changed, changed);
      } else {
        await c.query(`UPDATE nodes SET ${columns.map((col, i) => `${col} = $${i + 2}`).join(', ')} WHERE id = $1`, [before.id, ...columns.map((col) => changed[col])]);
      }
      if ('label' in changed) await setLabels(c, row.seq, after.label);
      if (changesPublished(changed)) tail.bumpList = true;
    }
    if (staged) staged.record = after;
    return { before, after, events: deferEvents(tail, updateEvents(before, after), after.lastUpdatedMs) };
  };

  const sweepChunk = async (c: Client, tail: TxTail, to: 'offline' | 'online', cutoff: number, nowMs: number, flap: FlapSettings | undefined): Promise<StatusTransition[]> => {
    const where = to === 'offline' ? "status IN ('initialized', 'online') AND last_report < $1" : "status IN ('initialized', 'offline') AND last_report >= $1";
    const rows = (await c.query<ChunkRow>(`SELECT id, status AS "from", seq, flapping, flap_times FROM nodes WHERE ${where} ORDER BY seq LIMIT $2`, [cutoff, SWEEP_CHUNK])).rows;
    if (rows.length === 0) return [];
    await c.query('UPDATE nodes SET status = $1, last_updated = $2, status_since = $2 WHERE seq = ANY($3::bigint[])', [to, nowMs, rows.map((r) => r.seq)]);
    const drafts: EventDraft[] = [];
    for (const r of rows) {
      drafts.push(statusEvent(r.id, r.from, to, 'sweep'));
      if (!flap || !isFlapTransition(r.from, to)) continue;
      const next = recordFlapTransition(JSON.parse(r.flap_times) as number[], nowMs, flap);
      await c.query('UPDATE nodes SET flapping = $2, flap_times = $3 WHERE seq = $1', [r.seq, next.flapping ? 1 : 0, JSON.stringify(next.timesMs)]);
      if (next.flapping !== (r.flapping === 1)) drafts.push(flappingEvent(r.id, next.flapping));
    }
    deferEvents(tail, drafts, nowMs);
    tail.bumpList = true;
    return rows.map((r): StatusTransition => ({ id: r.id, from: r.from, to }));
  };

  let perNodeCheckedUpTo = 0;
  const pruneEvents = async (retention: EventRetention): Promise<number> => {
    let deleted = 0;
    for (let round = 0; round < 100_000; round++) {
      const n = await write(async (c) => (await c.query('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < $1 ORDER BY id LIMIT $2)', [retention.olderThanMs, PRUNE_STEP])).rowCount ?? 0);
      deleted += n;
      if (n < PRUNE_STEP) break;
    }
    for (let round = 0; round < 100_000; round++) {
      const since = perNodeCheckedUpTo;
      const step = await write(async (c) => {
        const scanned = (await c.query<{ node_id: string | null; id: number }>('SELECT node_id, id FROM events WHERE id > $1 ORDER BY id LIMIT $2', [since, PRUNE_STEP])).rows;
        const nodes = [...new Set(scanned.map((r) => r.node_id).filter((n): n is string => n !== null))];
        let n = 0;
        for (const node of nodes) {
          n += (await c.query('DELETE FROM events WHERE node_id = $1 AND id < (SELECT id FROM events WHERE node_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)', [node, retention.maxPerNode - 1])).rowCount ?? 0;
        }
        return { n, last: scanned.at(-1)?.id ?? null };
      });
      deleted += step.n;
      if (step.last === null) break;
      perNodeCheckedUpTo = step.last;
    }
    return deleted;
  };

  return {
    register: (input, nowMs, idPrefix, options = {}) => write((c, tail) => registerTx(c, tail, input, nowMs, idPrefix, options), DIRECT),
    update: (id, mutate) => write((c, tail) => updateTx(c, tail, id, mutate), { key: id }),
    deregister: (id, cause, nowMs) =>
      write(async (c, tail) => {
        const row = await byId(c, id);
        if (!row) return null;
        return { node: fromRow(row), events: await removeNodes(c, tail, [row], cause, nowMs) };
      }, DIRECT),
    collectGarbage: (cutoffMs, nowMs, onChunk) =>
      allInChunks(async (c, tail) => {
        const rows = (await c.query<{ id: string; seq: number }>(
          `SELECT id, seq FROM nodes WHERE (status = 'offline' OR (status = 'initialized' AND last_report IS NULL)) AND status_since < $1 ORDER BY seq LIMIT $2 FOR UPDATE`,
          [cutoffMs, SWEEP_CHUNK],
        )).rows;
        if (rows.length > 0) await removeNodes(c, tail, rows, 'gc', nowMs);
        return rows.map((r) => r.id);
      }, onChunk),
    pruneEvents,
    sweep: async (cutoffs, nowMs, onChunk, flap) => {
      const offline = await inChunks((c, tail) => sweepChunk(c, tail, 'offline', cutoffs.offlineBeforeMs, nowMs, flap), onChunk);
      return offline + (await inChunks((c, tail) => sweepChunk(c, tail, 'online', cutoffs.onlineSinceMs, nowMs, flap), onChunk));
    },
    settleFlapping: (nowMs, flap) =>
      allInChunks(async (c, tail) => {
        const rows = (await c.query<{ id: string; seq: number }>(
          "SELECT id, seq FROM nodes WHERE flapping = 1 AND (flap_times::json ->> 0)::bigint < $1 ORDER BY seq LIMIT $2 FOR UPDATE",
          [nowMs - flap.windowMs, SWEEP_CHUNK],
        )).rows;
        if (rows.length === 0) return [];
        await c.query("UPDATE nodes SET flapping = 0, flap_times = '[]' WHERE seq = ANY($1::bigint[])", [rows.map((r) => r.seq)]);
        deferEvents(tail, rows.map((r) => flappingEvent(r.id, false)), nowMs);
        return rows.map((r) => r.id);
      }),
    putState: (key, value, events = [], nowMs = 0) =>
      write(async (c, tail) => {
        await c.query("INSERT INTO kv (key, value) VALUES ('state:' || $1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]);
        deferEvents(tail, events, nowMs);
      }),
    // Operational state touches no node: it may share a batch of staged updates.
    deleteState: (key) => write(async (c) => void (await c.query("DELETE FROM kv WHERE key = 'state:' || $1", [key]))),
    pruneExpiredState: (prefix, nowMs) =>
      write(async (c) => (await c.query("DELETE FROM kv WHERE starts_with(key, 'state:' || $1) AND (value::json ->> 'expiresMs')::bigint < $2", [prefix, nowMs])).rowCount ?? 0),
  };
}
