// How the storage core speaks to a backend. Each algorithm of the store (register, update, a sweep chunk,
// retention…) is written once, as a generator that yields effects: a statement of the backend's plans
// (`one`, `all`, `run`), events to write with the transaction, the change version's bump, a node read or
// written by ID. A backend's driver runs the generator inside its transaction and answers each effect:
// SQLite synchronously, inside its group commit's BEGIN IMMEDIATE (nothing else can run on the connection
// meanwhile), PostgreSQL with an await per statement. So the algorithm is shared and each backend keeps
// its own way of running it.
import type { EventDraft, StoredEvent } from '../../domain/events.js';
import type { NodeRecord } from '../../domain/node.js';
import type { NodeRow } from '../rows.js';

/** Parameters as a backend binds them: positional, or named (SQLite's `@name`). */
export type Bound = unknown[] | Record<string, unknown>;

/**
 * A statement of a backend, given typed arguments: its SQL and how the arguments become its parameters
 * (by default, in order). `R` is the row it answers.
 */
export interface Plan<A extends readonly unknown[], R> {
  readonly sql: string;
  readonly bind?: (...args: A) => Bound;
  /** Types only: the arguments and the row. */
  readonly _types?: (args: A) => R;
}

/** Declares a plan. */
export function plan<A extends readonly unknown[], R = never>(sql: string, bind?: (...args: A) => Bound): Plan<A, R> {
  return bind ? { sql, bind } : { sql };
}

/** The parameters of a plan's arguments. */
export const bound = <A extends readonly unknown[]>(p: Plan<A, unknown>, args: A): Bound => (p.bind ? p.bind(...args) : [...args]);

/** A node read to be changed in this transaction, as the backend holds it (the record parsed once). */
export interface LockedNode {
  row: NodeRow;
  record: NodeRecord;
}

/** What an algorithm asks of the backend. */
export type Effect =
  | { t: 'one' | 'all' | 'run'; plan: Plan<readonly unknown[], unknown>; args: readonly unknown[] }
  | { t: 'events'; drafts: readonly EventDraft[]; timeMs: number }
  | { t: 'bump'; published: boolean }
  | { t: 'lock'; id: string }
  | { t: 'write'; node: LockedNode; changed: Record<string, string | number | null>; after: NodeRecord };

/** An algorithm: a generator of effects whose result is `T`. */
export type Tx<T> = Generator<Effect, T, unknown>;

/** The first row of a statement, or undefined. */
export function* one<A extends readonly unknown[], R>(p: Plan<A, R>, ...args: A): Tx<R | undefined> {
  return (yield { t: 'one', plan: p as Plan<readonly unknown[], unknown>, args }) as R | undefined;
}

/** Every row of a statement. */
export function* all<A extends readonly unknown[], R>(p: Plan<A, R>, ...args: A): Tx<R[]> {
  return (yield { t: 'all', plan: p as Plan<readonly unknown[], unknown>, args }) as R[];
}

/** Runs a statement; the number of rows it changed. */
export function* run<A extends readonly unknown[]>(p: Plan<A, unknown>, ...args: A): Tx<number> {
  return (yield { t: 'run', plan: p as Plan<readonly unknown[], unknown>, args }) as number;
}

/**
 * Writes events with the transaction, at `timeMs`; their ids are given in commit order (by the backend:
 * at once with SQLite, at the transaction's ordered end with PostgreSQL, before it commits).
 */
export function* appendEvents(drafts: readonly EventDraft[], timeMs: number): Tx<StoredEvent[]> {
  if (drafts.length === 0) return [];
  return (yield { t: 'events', drafts, timeMs }) as StoredEvent[];
}

/**
 * Moves the change version (what lists, statistics and discovery show changed) with the transaction;
 * with `published`, the publish version too (what nodes.json and file_sd show changed).
 */
export function* bumpChangeVersion(published: boolean): Tx<void> {
  yield { t: 'bump', published };
}

/** Reads node `id` to change it in this transaction (locked where the backend locks rows); undefined: none. */
export function* lockNode(id: string): Tx<LockedNode | undefined> {
  return (yield { t: 'lock', id }) as LockedNode | undefined;
}

/** Writes the `changed` columns of a node read by `lockNode` (its record is `after` from now on). */
export function* writeNode(node: LockedNode, changed: Record<string, string | number | null>, after: NodeRecord): Tx<void> {
  yield { t: 'write', node, changed, after };
}

/** Runs an algorithm synchronously, answering each effect with `answer` (a thrown error goes into it). */
export function runSync<T>(tx: Tx<T>, answer: (e: Effect) => unknown): T {
  let step = tx.next();
  // Bounded by the algorithm: each effect is one statement of a finite sequence.
  while (!step.done) {
    let value: unknown;
    try {
      value = answer(step.value);
    } catch (err) {
      step = tx.throw(err);
      continue;
    }
    step = tx.next(value);
  }
  return step.value;
}

/** Runs an algorithm, awaiting each effect's answer (a rejection goes into it). */
export async function runAsync<T>(tx: Tx<T>, answer: (e: Effect) => Promise<unknown>): Promise<T> {
  let step = tx.next();
  while (!step.done) {
    let value: unknown;
    try {
      value = await answer(step.value);
    } catch (err) {
      step = tx.throw(err);
      continue;
    }
    step = tx.next(value);
  }
  return step.value;
}
