// Leadership among several masters on one PostgreSQL database (SPEC §11). Guarantees:
// - at most one leader at a time: the lease is one row (leader_lease), taken or renewed by one
//   statement that succeeds only for its holder or once it expired, in the database's clock;
// - every change of leader raises the epoch (the fencing token); the leader's store checks, inside each
//   of its write transactions, that the lease is still its own with that epoch (group-commit.ts), so a
//   paused or partitioned old leader cannot write after losing it;
// - a leader stops acting on its own clock before its lease can pass to another: it counts the lease
//   from when it *sent* the renewal, less a margin, and renews every third of the lease.
// With SQLite there is one master by construction: it is always the leader.
import { hostname } from 'node:os';
import type pg from 'pg';
import { translate } from '../storage/postgres/errors.js';

/** The lease as the database holds it. */
export interface LeaseInfo {
  instance: string;
  epoch: number;
  since: string;
  lease_expires: string;
  /** False once the lease ran out and nobody took it yet. */
  live: boolean;
}

/** A master as the database last heard of it. */
export interface MasterInfo {
  instance: string;
  host: string;
  started: string;
  last_seen: string;
  /** Seconds since its last contact, in the database's clock. */
  seconds_since_contact: number;
}

/** What GET /api/v1/master/cluster answers. */
export interface ClusterInfo {
  instance: string;
  role: 'leader' | 'follower';
  leader: LeaseInfo | null;
  masters: MasterInfo[];
}

/** A master counts as out of contact after this many lease lengths without renewing its row. */
export const STALE_AFTER_LEASES = 3;

export interface Leadership {
  /** This master's name. */
  readonly instance: string;
  /** Takes or renews the lease (or learns it is someone else's); true while this master leads. */
  tick(): Promise<boolean>;
  /** Whether this master may act as leader now (its lease has not run out on its own clock). */
  isLeader(): boolean;
  /** The fence of this master's leader writes: its epoch while it leads, else null. */
  fence(): { instance: string; epoch: number } | null;
  /** The cluster as the database sees it. */
  info(): Promise<ClusterInfo>;
  /** Gives the lease up (a clean stop), so another master takes over at once. */
  release(): Promise<void>;
  /** This master now answers agents (its HTTP side listens): its contact counts as serving from now. */
  serving(): void;
  /**
   * How long agents have had a master to report to without a break, as the masters in contact with the
   * database record it (ms; null: none serves now). Null too with one master (SQLite), whose grace is its own.
   */
  servedForMs(): Promise<number | null>;
}

/** The name of this master: MASTER_INSTANCE, else host name and pid. */
export const defaultInstance = () => `${hostname()}:${process.pid}`;

/** SQLite: one master, always the leader. */
export function soleLeadership(instance: string, startedMs: number): Leadership {
  const started = new Date(startedMs).toISOString();
  return {
    instance,
    tick: async () => true,
    isLeader: () => true,
    fence: () => null,
    info: async () => ({
      instance,
      role: 'leader',
      leader: { instance, epoch: 1, since: started, lease_expires: 'never', live: true },
      masters: [{ instance, host: hostname(), started, last_seen: new Date().toISOString(), seconds_since_contact: 0 }],
    }),
    release: async () => undefined,
    serving: () => undefined,
    servedForMs: async () => null,
  };
}

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
 * while this master serves and its previous contact is within the break limit (`contactBreakMs`; its
 * ticks come every third of a lease), started again after a break (a database outage), null while it does not serve. In SET, column
 * names are the row's values before the update.
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

/** Runs a read of the cluster view; an unreachable database is the API's 503, as for every other read. */
async function unavailableAs503<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    return translate(err, undefined, 'read');
  }
}

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

/** PostgreSQL: a lease of `leaseMs` in `leader_lease`; `nowMs` is this process's monotonic clock. */
export function pgLeadership(
  pool: pg.Pool,
  options: {
    instance: string; leaseMs: number; nowMs?: () => number;
    /** This master started or stopped leading (at the moment it stops acting, also when cut off). */
    onChange?: (leader: boolean, epoch: number | null) => void;
    /** A follower learned of a new leader (or of none). */
    onLeaderSeen?: (leader: { instance: string; epoch: number } | null) => void;
    /** The leader saw a master fall out of contact (`lost`) or return (`back`). */
    onMasterContact?: (master: MasterInfo, state: 'lost' | 'back') => void;
    /**
     * A master's contact with the database broken for longer than this (ms) ends its serving stretch
     * (`serving_since`), and one silent for longer serves no more: the offline threshold (agents could not
     * report for that long), at most the lease, and at least two of its ticks. Default: the lease.
     */
    contactBreakMs?: number;
  },
): Leadership {
  const now = options.nowMs ?? (() => performance.now());
  const { instance, leaseMs } = options;
  // The lease counts from before the statement was sent; a tenth is kept as a margin for clock rates.
  const margin = Math.max(200, leaseMs / 10);
  let validUntil = -Infinity;
  let epoch: number | null = null;
  const started = new Date().toISOString();
  const host = hostname();
  let leading = false;
  let servingNow = false;
  const contactBreakMs = options.contactBreakMs ?? leaseMs;
  let seen: string | null = null;
  const outOfContact = new Set<string>();
  // Fires when the lease runs out on this master's clock without a renewal: leadership ends then, not
  // at the next tick (which may wait on an unreachable database for seconds).
  let expiry: ReturnType<typeof setTimeout> | null = null;
  const setLeading = (next: boolean) => {
    if (next !== leading) {
      leading = next;
      options.onChange?.(next, epoch);
    }
    if (expiry) clearTimeout(expiry);
    expiry = null;
    if (next) arm();
  };
  // Node's timers count from the event loop's cached time, which may lag: a timer can fire a little
  // early, and then it is armed again for the rest.
  const arm = () => {
    expiry = setTimeout(() => {
      expiry = null;
      if (now() >= validUntil) setLeading(false);
      else arm();
    }, Math.max(0, validUntil - now()) + 1);
    expiry.unref();
  };
  const isLeader = () => leading && now() < validUntil;
  const readMasters = async () =>
    (await pool.query<{ instance: string; host: string; started: Date; last_seen: Date; age: number }>(
      'SELECT instance, host, started, last_seen, extract(epoch FROM now() - last_seen)::float8 AS age FROM masters ORDER BY instance',
    )).rows.map((m) => ({ instance: m.instance, host: m.host, started: iso(m.started), last_seen: iso(m.last_seen), seconds_since_contact: Math.max(0, Math.round(m.age * 10) / 10) }));
  // The leader's watch over the others: a master silent for a few leases is logged once, and its return;
  // rows of masters silent for a day are removed.
  const watchMasters = async () => {
    await pool.query("DELETE FROM masters WHERE last_seen < now() - interval '1 day'");
    for (const m of await readMasters()) {
      const stale = m.seconds_since_contact > (STALE_AFTER_LEASES * leaseMs) / 1000;
      if (stale && !outOfContact.has(m.instance)) {
        outOfContact.add(m.instance);
        options.onMasterContact?.(m, 'lost');
      } else if (!stale && outOfContact.delete(m.instance)) {
        options.onMasterContact?.(m, 'back');
      }
    }
  };
  return {
    instance,
    isLeader,
    fence: () => (isLeader() && epoch !== null ? { instance, epoch } : null),
    async tick() {
      const sentAt = now();
      try {
        await pool.query(CONTACT, [instance, host, started, servingNow, contactBreakMs]);
        const r = await pool.query<{ instance: string; epoch: number }>(TAKE_OR_RENEW, [instance, leaseMs]);
        if (r.rows.length === 1) {
          epoch = r.rows[0]!.epoch;
          validUntil = sentAt + leaseMs - margin;
          setLeading(true);
        } else {
          epoch = null;
          validUntil = -Infinity;
          setLeading(false);
        }
        if (isLeader()) await watchMasters();
        if (options.onLeaderSeen) {
          const holder = r.rows.length === 1 ? { instance, epoch: r.rows[0]!.epoch } : (await pool.query<{ instance: string; epoch: number }>('SELECT instance, epoch FROM leader_lease WHERE expires_at > now()')).rows[0] ?? null;
          const key = holder ? `${holder.instance}#${holder.epoch}` : null;
          if (key !== seen) {
            seen = key;
            options.onLeaderSeen(holder);
          }
        }
      } catch (err) {
        // Unreachable: keep leading only until the lease runs out on our own clock.
        if (!isLeader()) setLeading(false);
        throw err;
      }
      return isLeader();
    },
    info: () => unavailableAs503(async () => {
      const lease = (await pool.query<{ instance: string; epoch: number; since: Date; expires_at: Date; live: boolean }>('SELECT instance, epoch, since, expires_at, expires_at > now() AS live FROM leader_lease')).rows[0];
      const masters = await readMasters();
      return {
        instance,
        role: lease?.live && lease.instance === instance ? 'leader' : 'follower',
        // The last leader, also while its lease has run out and nobody took it yet.
        leader: lease ? { instance: lease.instance, epoch: lease.epoch, since: iso(lease.since), lease_expires: iso(lease.expires_at), live: lease.live } : null,
        masters,
      } satisfies ClusterInfo;
    }),
    serving() {
      servingNow = true;
    },
    async servedForMs() {
      const ms = (await pool.query<{ ms: number | null }>(SERVED_FOR, [contactBreakMs])).rows[0]?.ms ?? null;
      return ms === null ? null : Math.max(0, ms);
    },
    async release() {
      validUntil = -Infinity;
      setLeading(false);
      await pool.query('UPDATE leader_lease SET expires_at = now() WHERE instance = $1', [instance]);
      // A master that stopped cleanly is not one out of contact.
      await pool.query('DELETE FROM masters WHERE instance = $1', [instance]);
    },
  };
}
