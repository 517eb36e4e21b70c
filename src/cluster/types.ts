// What leadership is to the rest of the master (leadership.ts, pg-leadership.ts): the cluster view of GET
// /cluster and the interface a leader's side uses.

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

