// Leadership among several masters on one PostgreSQL database (SPEC §11). Guarantees:
// - at most one leader at a time: the lease is one row (leader_lease), taken or renewed by one
//   statement that succeeds only for its holder or once it expired, in the database's clock;
// - every change of leader raises the epoch (the fencing token); the leader's store checks, inside each
//   of its write transactions, that the lease is still its own with that epoch (group-commit.ts), so a
//   paused or partitioned old leader cannot write after losing it;
// - a leader stops acting on its own clock before its lease can pass to another: it counts the lease
//   from when it *sent* the renewal, less a margin, and stops at once when that time passes (a timer),
//   not at its next tick (which may wait on an unreachable database for seconds);
// - every master records its contact (masters.last_seen) and when it began serving agents with unbroken
//   contact (serving_since: the restart grace's measure, sweeping/grace.ts).
import { hostname } from 'node:os';
import type pg from 'pg';
import { systemClock, type Clock, type Timer } from '../clock.js';
import { translate } from '../storage/postgres/errors.js';
import { STALE_AFTER_LEASES, type ClusterInfo, type Leadership, type MasterInfo } from './types.js';

const TAKE_OR_RENEW = `
  INSERT INTO leader_lease AS l (singleton, instance, epoch, since, expires_at)
  VALUES (true, $1, 1, now(), now() + $2 * interval '1 millisecond')
  ON CONFLICT (singleton) DO UPDATE SET
    epoch = CASE WHEN l.instance = $1 AND l.expires_at > now() THEN l.epoch ELSE l.epoch + 1 END,
    since = CASE WHEN l.instance = $1 AND l.expires_at > now() THEN l.since ELSE now() END,
    instance = $1,
    expires_at = now() + $2 * interval '1 millisecond'
  WHERE l.instance = $1 OR l.expires_at <= now()
  RETURNING instance, epoch`;

/**
 * A master's contact: its row, and when it began serving with unbroken contact. `serving_since` is kept
 * while this master serves and its previous contact is within the break limit ($5), started again after
 * a break (a database outage), null while it does not serve. In SET, column names are the row's values
 * before the update.
 */
const CONTACT = `
  INSERT INTO masters AS m (instance, host, started, last_seen, serving_since)
  VALUES ($1, $2, $3, now(), CASE WHEN $4::boolean THEN now() END)
  ON CONFLICT (instance) DO UPDATE SET
    serving_since = CASE WHEN NOT $4::boolean THEN NULL
                         WHEN m.serving_since IS NOT NULL AND m.last_seen > now() - $5 * interval '1 millisecond' THEN m.serving_since
                         ELSE now() END,
    last_seen = now()`;

/** How long the earliest serving master in contact (its last contact within the break limit) has served without a break, in ms. */
const SERVED_FOR = `
  SELECT (extract(epoch FROM now() - min(serving_since)) * 1000)::float8 AS ms FROM masters
  WHERE serving_since IS NOT NULL AND last_seen > now() - $1 * interval '1 millisecond'`;

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

/** Options of a PostgreSQL lease. */
export interface PgLeadershipOptions {
  instance: string;
  leaseMs: number;
  /** This process's monotonic clock (default `performance.now`): the lease is counted on it. */
  nowMs?: () => number;
  /** The timers (the lease's expiry). */
  clock?: Clock;
  /** This master started or stopped leading (at the moment it stops acting, also when cut off). */
  onChange?: (leader: boolean, epoch: number | null) => void;
  /** A follower learned of a new leader (or of none). */
  onLeaderSeen?: (leader: { instance: string; epoch: number } | null) => void;
  /** The leader saw a master fall out of contact (`lost`) or return (`back`). */
  onMasterContact?: (master: MasterInfo, state: 'lost' | 'back') => void;
  /**
   * A master's contact with the database broken for longer than this (ms) ends its serving stretch, and
   * one silent for longer serves no more: the offline threshold, at most the lease, at least two of its
   * ticks (main.ts). Default: the lease.
   */
  contactBreakMs?: number;
}

/** The lease as this master holds it: until when (on its own clock), its epoch, and the expiry timer. */
function heldLease(now: () => number, clock: Clock, onChange: PgLeadershipOptions['onChange']) {
  let validUntil = -Infinity;
  let epoch: number | null = null;
  let leading = false;
  let expiry: Timer | null = null;
  const set = (next: boolean) => {
    if (next !== leading) {
      leading = next;
      onChange?.(next, epoch);
    }
    expiry?.cancel();
    expiry = null;
    if (next) arm();
  };
  // Timers count from the event loop's cached time, which may lag: a timer can fire a little early, and
  // then it is armed again for the rest.
  const arm = () => {
    expiry = clock.setTimeout(() => {
      expiry = null;
      if (now() >= validUntil) set(false);
      else arm();
    }, Math.max(0, validUntil - now()) + 1).unref();
  };
  return {
    isLeader: () => leading && now() < validUntil,
    epoch: () => epoch,
    took(newEpoch: number, until: number) {
      epoch = newEpoch;
      validUntil = until;
      set(true);
    },
    lost() {
      epoch = null;
      validUntil = -Infinity;
      set(false);
    },
    /** Unreachable: it leads only until the lease runs out on its own clock. */
    unreachable() {
      if (!(leading && now() < validUntil)) set(false);
    },
  };
}

/** Every master as the database last heard of it. */
async function readMasters(pool: pg.Pool): Promise<MasterInfo[]> {
  const rows = (await pool.query<{ instance: string; host: string; started: Date; last_seen: Date; age: number }>(
    'SELECT instance, host, started, last_seen, extract(epoch FROM now() - last_seen)::float8 AS age FROM masters ORDER BY instance',
  )).rows;
  return rows.map((m) => ({ instance: m.instance, host: m.host, started: iso(m.started), last_seen: iso(m.last_seen), seconds_since_contact: Math.max(0, Math.round(m.age * 10) / 10) }));
}

/**
 * The leader's watch over the others: a master silent for a few leases is told once (`lost`), and its
 * return (`back`); rows of masters silent for a day are removed.
 */
function masterWatch(pool: pg.Pool, leaseMs: number, onMasterContact: PgLeadershipOptions['onMasterContact']) {
  const outOfContact = new Set<string>();
  return async () => {
    await pool.query("DELETE FROM masters WHERE last_seen < now() - interval '1 day'");
    for (const m of await readMasters(pool)) {
      const stale = m.seconds_since_contact > (STALE_AFTER_LEASES * leaseMs) / 1000;
      if (stale && !outOfContact.has(m.instance)) {
        outOfContact.add(m.instance);
        onMasterContact?.(m, 'lost');
      } else if (!stale && outOfContact.delete(m.instance)) {
        onMasterContact?.(m, 'back');
      }
    }
  };
}

/** The cluster as the database sees it; an unreachable database is the API's 503, as for every read. */
async function clusterInfo(pool: pg.Pool, instance: string): Promise<ClusterInfo> {
  try {
    const lease = (await pool.query<{ instance: string; epoch: number; since: Date; expires_at: Date; live: boolean }>('SELECT instance, epoch, since, expires_at, expires_at > now() AS live FROM leader_lease')).rows[0];
    return {
      instance,
      role: lease?.live && lease.instance === instance ? 'leader' : 'follower',
      // The last leader, also while its lease has run out and nobody took it yet.
      leader: lease ? { instance: lease.instance, epoch: lease.epoch, since: iso(lease.since), lease_expires: iso(lease.expires_at), live: lease.live } : null,
      masters: await readMasters(pool),
    };
  } catch (err) {
    return translate(err, undefined, 'read');
  }
}

/** The cluster view of a process that does not take part in leadership (a worker of a master). */
export const pgLeadershipView = (pool: pg.Pool, instance: string) => ({ info: () => clusterInfo(pool, instance) });

/** PostgreSQL: a lease of `leaseMs` in `leader_lease`. */
export function pgLeadership(pool: pg.Pool, options: PgLeadershipOptions): Leadership {
  const now = options.nowMs ?? (() => performance.now());
  const { instance, leaseMs } = options;
  // The lease counts from before the statement was sent; a tenth is kept as a margin for clock rates.
  const margin = Math.max(200, leaseMs / 10);
  const lease = heldLease(now, options.clock ?? systemClock, options.onChange);
  const watch = masterWatch(pool, leaseMs, options.onMasterContact);
  const started = new Date().toISOString();
  const host = hostname();
  const contactBreakMs = options.contactBreakMs ?? leaseMs;
  let servingNow = false;
  let seen: string | null = null;
  /** Tells a follower of a new leader (or of none), once per change. */
  const noteLeader = async (mine: { instance: string; epoch: number } | undefined) => {
    if (!options.onLeaderSeen) return;
    const holder = mine ?? (await pool.query<{ instance: string; epoch: number }>('SELECT instance, epoch FROM leader_lease WHERE expires_at > now()')).rows[0] ?? null;
    const key = holder ? `${holder.instance}#${holder.epoch}` : null;
    if (key === seen) return;
    seen = key;
    options.onLeaderSeen(holder);
  };
  return {
    instance,
    isLeader: lease.isLeader,
    fence: () => (lease.isLeader() && lease.epoch() !== null ? { instance, epoch: lease.epoch()! } : null),
    async tick() {
      const sentAt = now();
      try {
        await pool.query(CONTACT, [instance, host, started, servingNow, contactBreakMs]);
        const r = await pool.query<{ instance: string; epoch: number }>(TAKE_OR_RENEW, [instance, leaseMs]);
        if (r.rows.length === 1) lease.took(r.rows[0]!.epoch, sentAt + leaseMs - margin);
        else lease.lost();
        if (lease.isLeader()) await watch();
        await noteLeader(r.rows.length === 1 ? { instance, epoch: r.rows[0]!.epoch } : undefined);
      } catch (err) {
        lease.unreachable();
        throw err;
      }
      return lease.isLeader();
    },
    info: () => clusterInfo(pool, instance),
    serving() {
      servingNow = true;
    },
    async servedForMs() {
      const ms = (await pool.query<{ ms: number | null }>(SERVED_FOR, [contactBreakMs])).rows[0]?.ms ?? null;
      return ms === null ? null : Math.max(0, ms);
    },
    async release() {
      lease.lost();
      await pool.query('UPDATE leader_lease SET expires_at = now() WHERE instance = $1', [instance]);
      // A master that stopped cleanly is not one out of contact.
      await pool.query('DELETE FROM masters WHERE instance = $1', [instance]);
    },
  };
}
