// Leadership (SPEC §11): which master sweeps, publishes and writes the leader-only records. With several
// masters on PostgreSQL it is a lease in the database (pg-leadership.ts), renewed every third of its
// length by the lease loop here, which logs a failing renewal once per outage, not every tick; with
// SQLite there is one master by construction, always the leader.
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { createPeriodicTask, type PeriodicTask } from '../periodic.js';
import { pgLeadership } from './pg-leadership.js';

export { pgLeadershipView } from './pg-leadership.js';

export { STALE_AFTER_LEASES, type ClusterInfo, type Leadership, type LeaseInfo, type MasterInfo } from './types.js';
import type { Leadership } from './types.js';

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

/** How a master takes part in leadership. */
export interface LeadershipOptions {
  instance: string;
  leaseMs: number;
  /** The offline threshold: a master's contact broken for longer ends its serving stretch (sweeping/grace.ts). */
  offlineAfterMs: number;
  clock: Clock;
  logger: Logger;
}

/** Leadership with its lease loop: `lease.start()` takes (or finds taken) the lease, then renews it. */
export interface RunningLeadership {
  leadership: Leadership;
  lease: PeriodicTask;
}

/**
 * The leadership of a master: on PostgreSQL (`pool`) a lease renewed every third of its length, its
 * changes logged (this master leads or stops; a follower learns of another leader; the leader sees a
 * master fall out of contact and return); with SQLite the sole master.
 */
export function openLeadership(pool: pg.Pool | undefined, options: LeadershipOptions): RunningLeadership {
  const { instance, leaseMs, clock } = options;
  const log = options.logger.child({ module: 'leadership' });
  const tickMs = Math.max(100, leaseMs / 3);
  const leadership = pool
    ? pgLeadership(pool, {
        instance, leaseMs, clock,
        contactBreakMs: Math.max(2 * tickMs, Math.min(leaseMs, options.offlineAfterMs)),
        onChange: (leader, epoch) => {
          if (leader) log.warn({ instance, epoch }, 'this master is now the leader: it sweeps and publishes');
          else log.warn({ instance }, 'this master is no longer the leader');
        },
        onLeaderSeen: (leader) => {
          if (leader === null) log.warn({ instance }, 'no master holds the leader lease');
          else if (leader.instance !== instance) log.info({ instance, leader: leader.instance, epoch: leader.epoch }, 'the leader is another master');
        },
        onMasterContact: (m, state) => {
          if (state === 'lost') log.warn({ master: m.instance, host: m.host, lastSeen: m.last_seen, secondsSinceContact: m.seconds_since_contact }, 'a master is out of contact with the database');
          else log.info({ master: m.instance, host: m.host }, 'a master is in contact again');
        },
      })
    : soleLeadership(instance, clock.now());
  let failedTicks = 0;
  const lease = createPeriodicTask(async () => {
    try {
      await leadership.tick();
      if (failedTicks > 0) log.info({ failedTicks }, 'the leader lease is read and renewed again');
      failedTicks = 0;
    } catch (err) {
      if (failedTicks++ === 0) log.warn({ code: (err as { code?: string }).code, error: (err as Error).message }, 'leader lease not renewed (database unreachable?)');
    }
  }, tickMs, clock);
  return { leadership, lease };
}
