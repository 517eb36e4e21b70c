// The writes of the SQLite store: registration, read-modify-write updates, the chunked sweep and
// operational state. Guarantees: every write goes through the group commit (group-commit.ts): it runs in
// its own savepoint inside one BEGIN IMMEDIATE transaction per event-loop turn, so ID allocation and
// read-modify-write steps are atomic across every process on the file, and it resolves only after that
// transaction committed. Every transaction that changes what the list, statistics or discovery show
// bumps the change version (kv.ts).
import type Database from 'better-sqlite3';
import { isFlapTransition, recordFlapTransition, type FlapSettings } from '../../domain/flapping.js';
import { deregisteredEvent, flappingEvent, registeredEvent, renderEvent, reregisteredEvents, statusEvent, updateEvents, type EventDraft, type StoredEvent } from '../../domain/events.js';
import type { NodeRecord, StatusTransition } from '../../domain/node.js';
import type { NodeStatus } from '../../domain/status.js';
import type { StorageHealthSink } from '../health.js';
import type { EventRetention, NodeStore, RegisterOptions, RegisterOutcome } from '../store.js';
import { translate } from './errors.js';
import { createGroupCommit } from './group-commit.js';
import { KV_EVENT_COUNTER, KV_ID_COUNTER, KV_LIST_VERSION } from './kv.js';
import { changedColumns, changesPublished, fromRow, toParams, withStatusSince, type NodeRow } from '../rows.js';

/** Events deleted, or scanned for the per-node limit, per retention step. */
const PRUNE_STEP = 1_000;
/**
 * Rows per committed chunk of a sweep, garbage collection or flapping pass: bounds how long one step
 * holds the write lock and the event loop. At a million nodes a chunk of 250 held the loop ~5 ms (p50)
 * and 17–68 ms now and then; one of 100 holds it ~2 ms, at most 11–16.5 ms, for a sweep ~10% longer
 * (docs/PERFORMANCE.md §3).
 */
const SWEEP_CHUNK = 100;
/** Longest a chunk of a series waits for the checkpoint thread (ms; the thread tries for 10). */
const STEP_ASIDE_MS = 15;

/** A node a sweep chunk changes. */
interface ChunkRow {
  rowid: number;
  id: string;
  from: NodeStatus;
  seq: number;
  flapping: number;
  flap_times: string;
}

/** The checkpoint thread's side of a series of transactions (checkpointer.ts), when there is one. */
export interface SeriesPeer {
  wantsLock(): boolean;
  inSeries<T>(series: () => Promise<T>): Promise<T>;
}

/** The writes of the store on `db`; failures are translated and reported to `health`, successes too. */
export function createWrites(db: Database.Database, health: StorageHealthSink | undefined, peer?: SeriesPeer): Pick<NodeStore, 'register' | 'update' | 'sweep' | 'putState' | 'deleteState' | 'pruneExpiredState' | 'pruneEvents' | 'deregister' | 'collectGarbage' | 'settleFlapping'> {
  const q = {
    byId: db.prepare<[string], NodeRow>('SELECT * FROM nodes WHERE id = ?'),
    byName: db.prepare<[string], NodeRow>('SELECT * FROM nodes WHERE name = ?'),
    nextId: db.prepare<[], { value: string }>(
      `UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${KV_ID_COUNTER}' RETURNING value`,
    ),
    insert: db.prepare(
      `INSERT INTO nodes (id, seq, name, type, version, status, config, label, meta_data, health,
                          register_time, last_report, agent_last_report, last_updated, token_hash, status_since, flapping, flap_times, file_entry)
       VALUES (@id, @seq, @name, @type, @version, @status, @config, @label, @meta_data, @health,
               @register_time, @last_report, @agent_last_report, @last_updated, @token_hash, @status_since, @flapping, @flap_times, @file_entry)`,
    ),
    write: db.prepare(
      `UPDATE nodes SET type = @type, version = @version, status = @status, config = @config, label = @label,
              meta_data = @meta_data, health = @health, last_report = @last_report,
              agent_last_report = @agent_last_report, last_updated = @last_updated, token_hash = @token_hash,
              file_entry = @file_entry
       WHERE id = @id`,
    ),
    bumpListVersion: db.prepare(`UPDATE kv SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${KV_LIST_VERSION}'`),
    offlineChunk: db.prepare<[{ cutoff: number; limit: number }], ChunkRow>(
      `SELECT rowid, id, status AS "from", seq, flapping, flap_times FROM nodes
       WHERE status IN ('initialized', 'online') AND last_report < @cutoff LIMIT @limit`,
    ),
    onlineChunk: db.prepare<[{ cutoff: number; limit: number }], ChunkRow>(
      `SELECT rowid, id, status AS "from", seq, flapping, flap_times FROM nodes
       WHERE status IN ('initialized', 'offline') AND last_report >= @cutoff LIMIT @limit`,
    ),
    setStatus: db.prepare<[{ status: NodeStatus; now: number; rowids: string }]>(
      'UPDATE nodes SET status = @status, last_updated = @now, status_since = @now WHERE rowid IN (SELECT value FROM json_each(@rowids))',
    ),
    // Event ids: the counter is raised inside the write transaction (see migration 005).
    raiseEventCounter: db.prepare<[{ n: number }], { value: string }>(
      `UPDATE kv SET value = CAST(CAST(value AS INTEGER) + CAST(@n AS INTEGER) AS TEXT) WHERE key = '${KV_EVENT_COUNTER}' RETURNING value`,
    ),
    insertEvent: db.prepare<[number, number, string, string | null, string]>('INSERT INTO events (id, time, type, node_id, body) VALUES (?, ?, ?, ?, ?)'),
    insertEvents: db.prepare<[{ rows: string }]>(
      `INSERT INTO events (id, time, type, node_id, body)
       SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]' FROM json_each(@rows)`,
    ),
    // Retention, a bounded step at a time: the oldest events past the age limit; and, for nodes that got
    // events since the last pass, those beyond the newest `max` of the node.
    pruneOld: db.prepare<[{ before: number; limit: number }]>(
      'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < @before ORDER BY id LIMIT @limit)',
    ),
    nodesWithEventsSince: db.prepare<[{ since: number; limit: number }], { node_id: string; last: number }>(
      `SELECT node_id, max(id) AS last FROM (SELECT node_id, id FROM events WHERE id > @since ORDER BY id LIMIT @limit)
       WHERE node_id IS NOT NULL GROUP BY node_id`,
    ),
    maxScanned: db.prepare<[{ since: number; limit: number }], { last: number | null }>(
      'SELECT max(id) AS last FROM (SELECT id FROM events WHERE id > @since ORDER BY id LIMIT @limit)',
    ),
    pruneNode: db.prepare<[{ node: string; keep: number }]>(
      'DELETE FROM events WHERE node_id = @node AND id < (SELECT id FROM events WHERE node_id = @node ORDER BY id DESC LIMIT 1 OFFSET @keep - 1)',
    ),
    setFlap: db.prepare<[{ rowid: number; flapping: number; times: string }]>('UPDATE nodes SET flapping = @flapping, flap_times = @times WHERE rowid = @rowid'),
    calmChunk: db.prepare<[{ cutoff: number; limit: number }], { rowid: number; id: string; seq: number }>(
      "SELECT rowid, id, seq FROM nodes WHERE flapping = 1 AND flap_times ->> '$[0]' < @cutoff LIMIT @limit",
    ),
    // node_labels (migration 007) mirrors nodes.label.
    addLabels: db.prepare<[{ seq: number; labels: string }]>('INSERT OR IGNORE INTO node_labels (label, seq) SELECT value, @seq FROM json_each(@labels)'),
    clearLabels: db.prepare<[{ seqs: string }]>('DELETE FROM node_labels WHERE seq IN (SELECT value FROM json_each(@seqs))'),
    garbageChunk: db.prepare<[{ cutoff: number; limit: number }], { id: string; seq: number }>(
      `SELECT id, seq FROM nodes WHERE status = 'offline' AND status_since < @cutoff
       UNION ALL
       SELECT id, seq FROM nodes WHERE status = 'initialized' AND last_report IS NULL AND status_since < @cutoff
       LIMIT @limit`,
    ),
    deleteNodes: db.prepare<[{ seqs: string }]>('DELETE FROM nodes WHERE seq IN (SELECT value FROM json_each(@seqs))'),
    deleteState: db.prepare<[string]>("DELETE FROM kv WHERE key = 'state:' || ?"),
    pruneState: db.prepare<[{ from: string; to: string; now: number }]>("DELETE FROM kv WHERE key >= @from AND key < @to AND CAST(value ->> '$.expiresMs' AS INTEGER) < @now"),
    putState: db.prepare<[string, string]>(
      "INSERT INTO kv (key, value) VALUES ('state:' || ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ),
  };
  const batch = createGroupCommit(db);
  /** A write through the group commit; its failures are translated and reported, its success too. */
  const write = <T>(run: () => T): Promise<T> =>
    batch(run).then(
      (value) => {
        health?.writeSucceeded();
        return value;
      },
      (err: unknown) => translate(err, health, 'write'),
    );

  /** Writes `drafts` as events at `timeMs`, in the current transaction, with the next ids. */
  const appendEvents = (drafts: readonly EventDraft[], timeMs: number): StoredEvent[] => {
    if (drafts.length === 0) return [];
    const last = Number(q.raiseEventCounter.get({ n: drafts.length })!.value);
    const events = drafts.map((d, i): StoredEvent => {
      const id = last - drafts.length + 1 + i;
      return { id, timeMs, type: d.type, nodeId: d.nodeId, json: renderEvent(id, timeMs, d) };
    });
    // A few (a report's or a registration's) row by row; a sweep chunk's in one statement.
    if (events.length <= 4) for (const e of events) q.insertEvent.run(e.id, e.timeMs, e.type, e.nodeId, e.json);
    else q.insertEvents.run({ rows: JSON.stringify(events.map((e) => [e.id, e.timeMs, e.type, e.nodeId, e.json])) });
    return events;
  };

  /**
   * Runs `step` (one transaction through the group commit, at most SWEEP_CHUNK items) until a step
   * returns fewer, with the event loop free between steps (and the write lock, while the checkpoint
   * thread waits for it: `peer`), calling `onChunk` after each committed one; the items are
   * appended to `keep` if given. Returns how many there were. Bounded: each step changes the rows it
   * picked so they are not picked again; the node count bounds it.
   */
  const inChunks = <T>(step: () => T[], onChunk?: (items: T[]) => void, keep?: T[]): Promise<number> =>
    peer ? peer.inSeries(() => chunkLoop(step, onChunk, keep)) : chunkLoop(step, onChunk, keep);
  const chunkLoop = async <T>(step: () => T[], onChunk?: (items: T[]) => void, keep?: T[]): Promise<number> => {
    let count = 0;
    for (let round = 0; round < 1_000_000; round++) {
      const items = await write(step);
      if (items.length > 0) onChunk?.(items);
      count += items.length;
      if (keep) for (const item of items) keep.push(item);
      if (items.length < SWEEP_CHUNK) break;
      await new Promise((r) => setImmediate(r));
      // The checkpoint thread waits for the write lock to start the WAL over: the next chunk waits for it
      // (a RESTART takes ~6 ms), for STEP_ASIDE_MS at most.
      for (let waited = 0; waited < STEP_ASIDE_MS && peer?.wantsLock(); waited++) await new Promise((r) => setTimeout(r, 1));
    }
    return count;
  };
  /** `inChunks` keeping the items, for the callers that answer them. */
  const allInChunks = async <T>(step: () => T[], onChunk?: (items: T[]) => void): Promise<T[]> => {
    const all: T[] = [];
    await inChunks(step, onChunk, all);
    return all;
  };

  /** Removes nodes (ID, seq) with their labels and a `node.deregistered` event each, in this transaction. */
  const removeNodes = (nodes: ReadonlyArray<{ id: string; seq: number }>, cause: 'admin' | 'gc', nowMs: number): StoredEvent[] => {
    const seqs = JSON.stringify(nodes.map((n) => n.seq));
    q.deleteNodes.run({ seqs });
    q.clearLabels.run({ seqs });
    q.bumpListVersion.run();
    return appendEvents(nodes.map((n) => deregisteredEvent(n.id, cause)), nowMs);
  };

  const registerTx = (input: Parameters<NodeStore['register']>[0], nowMs: number, idPrefix: string, options: RegisterOptions): RegisterOutcome => {
    let existing: NodeRow | undefined;
    if (input.id !== null) {
      existing = q.byId.get(input.id);
      if (!existing) return { kind: 'unknown-id' };
      // The right is checked before the name: a caller who may not touch this node learns nothing of it.
      options.guard?.(fromRow(existing));
      if (existing.name !== input.name) return { kind: 'name-mismatch', storedName: existing.name };
    } else {
      existing = q.byName.get(input.name);
      options.guard?.(existing ? fromRow(existing) : null);
    }
    if (existing) {
      const before = fromRow(existing);
      const node: NodeRecord = {
        ...before,
        type: input.type,
        version: input.version,
        metaData: input.metaData,
        lastUpdatedMs: nowMs,
      };
      q.write.run(toParams(node));
      const events = appendEvents(reregisteredEvents(before, node), nowMs);
      if (events.length > 0) q.bumpListVersion.run();
      return { kind: 'updated', before, node, events };
    }
    const seq = Number(q.nextId.get()!.value);
    const id = `${idPrefix}${seq}`;
    const node: NodeRecord = {
      id,
      name: input.name,
      type: input.type,
      version: input.version,
      status: 'initialized',
      config: {},
      label: [],
      metaData: input.metaData,
      health: {},
      registerTimeMs: nowMs,
      lastReportMs: null,
      agentLastReportMs: null,
      lastUpdatedMs: nowMs,
      statusSinceMs: nowMs,
      flapping: false,
      flapTimesMs: [],
      tokenHash: options.tokenHashFor?.(id) ?? null,
    };
    q.insert.run({ ...toParams(node), seq });
    q.bumpListVersion.run();
    return { kind: 'created', node, events: appendEvents([registeredEvent(node)], nowMs) };
  };

  // An update writes only the columns the mutation changed (one statement per set of columns, prepared
  // once): a status report then rewrites neither config, labels nor meta_data, nor the status index.
  const writeChanged = new Map<string, Database.Statement>();
  const updateTx = (id: string, mutate: (n: NodeRecord) => NodeRecord) => {
    const row = q.byId.get(id);
    if (!row) return null;
    const before = fromRow(row);
    const mutated = mutate(before);
    const after = withStatusSince(before, mutated);
    const changed = changedColumns(row, before, after);
    const columns = Object.keys(changed);
    if (columns.length > 0) {
      const key = columns.join(',');
      let stmt = writeChanged.get(key);
      if (!stmt) {
        stmt = db.prepare(`UPDATE nodes SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`);
        writeChanged.set(key, stmt);
      }
      stmt.run({ ...changed, id: before.id });
      if ('label' in changed) {
        q.clearLabels.run({ seqs: JSON.stringify([row.seq]) });
        q.addLabels.run({ seq: row.seq, labels: JSON.stringify(after.label) });
      }
      if (changesPublished(changed)) q.bumpListVersion.run();
    }
    return { before, after, events: appendEvents(updateEvents(before, after), after.lastUpdatedMs) };
  };

  /** One chunk of a sweep (committed with the writes of its batch): at most SWEEP_CHUNK transitions. */
  const sweepChunk = (to: 'offline' | 'online', cutoff: number, nowMs: number, flap: FlapSettings | undefined) => {
    const rows = (to === 'offline' ? q.offlineChunk : q.onlineChunk).all({ cutoff, limit: SWEEP_CHUNK });
    if (rows.length === 0) return [];
    rows.sort((x, y) => x.seq - y.seq);
    q.setStatus.run({ status: to, now: nowMs, rowids: JSON.stringify(rows.map((r) => r.rowid)) });
    const drafts: EventDraft[] = [];
    for (const r of rows) {
      drafts.push(statusEvent(r.id, r.from, to, 'sweep'));
      if (!flap || !isFlapTransition(r.from, to)) continue;
      const next = recordFlapTransition(JSON.parse(r.flap_times) as number[], nowMs, flap);
      q.setFlap.run({ rowid: r.rowid, flapping: next.flapping ? 1 : 0, times: JSON.stringify(next.timesMs) });
      if (next.flapping !== (r.flapping === 1)) drafts.push(flappingEvent(r.id, next.flapping));
    }
    appendEvents(drafts, nowMs);
    q.bumpListVersion.run();
    return rows.map((r): StatusTransition => ({ id: r.id, from: r.from, to }));
  };
  // Work per chunk only (a sort of 100, the caller's `onChunk`), so that a sweep of 100,000
  // transitions never blocks the event loop for long: no sort or pass over all of them at the end.
  const sweepAll = async (offlineBeforeMs: number, onlineSinceMs: number, nowMs: number, onChunk?: (t: StatusTransition[]) => void, flap?: FlapSettings): Promise<number> =>
    (await inChunks(() => sweepChunk('offline', offlineBeforeMs, nowMs, flap), onChunk)) + (await inChunks(() => sweepChunk('online', onlineSinceMs, nowMs, flap), onChunk));

  // Retention: a step deletes at most PRUNE_STEP events (each its own transaction through the group
  // commit), the event loop free between steps; the per-node pass looks only at nodes that got events
  // since the previous pass (remembered here; the first pass looks at every event once).
  let perNodeCheckedUpTo = 0;
  const pruneEvents = async (retention: EventRetention): Promise<number> => {
    let deleted = 0;
    for (let round = 0; round < 100_000; round++) {
      const n = await write(() => q.pruneOld.run({ before: retention.olderThanMs, limit: PRUNE_STEP }).changes);
      deleted += n;
      if (n < PRUNE_STEP) break;
      await new Promise((r) => setImmediate(r));
    }
    for (let round = 0; round < 100_000; round++) {
      const since = perNodeCheckedUpTo;
      const step = await write(() => {
        const nodes = q.nodesWithEventsSince.all({ since, limit: PRUNE_STEP });
        let n = 0;
        for (const { node_id } of nodes) n += q.pruneNode.run({ node: node_id, keep: retention.maxPerNode }).changes;
        return { n, last: q.maxScanned.get({ since, limit: PRUNE_STEP })!.last };
      });
      deleted += step.n;
      if (step.last === null) break;
      perNodeCheckedUpTo = step.last;
      await new Promise((r) => setImmediate(r));
    }
    return deleted;
  };

  const deregisterTx = (id: string, cause: 'admin' | 'gc', nowMs: number) => {
    const row = q.byId.get(id);
    if (!row) return null;
    return { node: fromRow(row), events: removeNodes([row], cause, nowMs) };
  };
  const collectGarbage = (cutoffMs: number, nowMs: number, onChunk?: (ids: string[]) => void): Promise<string[]> =>
    allInChunks(() => {
      const rows = q.garbageChunk.all({ cutoff: cutoffMs, limit: SWEEP_CHUNK }).sort((x, y) => x.seq - y.seq);
      if (rows.length > 0) removeNodes(rows, 'gc', nowMs);
      return rows.map((r) => r.id);
    }, onChunk);

  return {
    deregister: (id, cause, nowMs) => write(() => deregisterTx(id, cause, nowMs)),
    collectGarbage,
    pruneEvents,
    register: (input, nowMs, idPrefix, options = {}) => write(() => registerTx(input, nowMs, idPrefix, options)),
    update: (id, mutate) => write(() => updateTx(id, mutate)),
    sweep: (cutoffs, nowMs, onChunk, flap) => sweepAll(cutoffs.offlineBeforeMs, cutoffs.onlineSinceMs, nowMs, onChunk, flap),
    settleFlapping: (nowMs, flap) =>
      allInChunks(() => {
        const rows = q.calmChunk.all({ cutoff: nowMs - flap.windowMs, limit: SWEEP_CHUNK }).sort((x, y) => x.seq - y.seq);
        for (const r of rows) q.setFlap.run({ rowid: r.rowid, flapping: 0, times: '[]' });
        appendEvents(rows.map((r) => flappingEvent(r.id, false)), nowMs);
        return rows.map((r) => r.id);
      }),
    // Operational state lives in kv under a `state:` prefix, apart from the counters and schema version.
    putState: (key, value, events = [], nowMs = 0) =>
      write(() => {
        q.putState.run(key, value);
        appendEvents(events, nowMs);
      }),
    deleteState: (key) => write(() => void q.deleteState.run(key)),
    pruneExpiredState: (prefix, nowMs) => write(() => q.pruneState.run({ from: `state:${prefix}`, to: `state:${prefix}\uffff`, now: nowMs }).changes),
  };
}
