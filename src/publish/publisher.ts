// The published documents as one feature: nodes.json and the Prometheus file_sd file (published-file.ts
// writes each), rebuilt by the leader (with SQLite, the sweeping process) when the database's publish
// version moves, whichever process or master made the change. Guarantees: a change that alters what the
// files show (an online node added, removed or changed: the publish version moves in its transaction)
// reaches them within a poll (250 ms) plus a build, also when another master made it; only the leader
// writes; a master that becomes leader publishes at once; a deleted file comes back at the next sweep
// (the sweeper calls `publish`). A burst of changes costs few rebuilds (each file waits 100 ms between
// two, and a version read while a build ran asks for one more).
import type { Logger } from 'pino';
import type { Clock, Timer } from '../clock.js';
import type { NodeStore } from '../storage/store.js';
import type { FilePublisher } from './published-file.js';

/** How often the leader reads the publish version (a kv read). */
export const PUBLISH_POLL_MS = 250;

/** The published files of the leader. */
export interface Publisher {
  /** Publishes every file now, if this master leads (at start, after each sweep). */
  publish(): Promise<void>;
  /** Starts following the publish version. */
  start(): void;
  /** Stops following it and waits for a publish in progress. */
  stop(): Promise<void>;
  /** The files that could not be written, with the last error (readiness). */
  errors(): Array<{ file: string; error: string }>;
}

/** Dependencies of the publisher. */
export interface PublisherDeps {
  store: Pick<NodeStore, 'publishVersion'>;
  files: readonly FilePublisher[];
  /** Whether this master leads now (with SQLite: always). */
  leading: () => boolean;
  clock: Clock;
  logger: Logger;
  pollMs?: number;
}

/** Creates the publisher. */
export function createPublisher(deps: PublisherDeps): Publisher {
  const log = deps.logger.child({ module: 'publisher' });
  const pollMs = deps.pollMs ?? PUBLISH_POLL_MS;
  let seen: string | null = null;
  let timer: Timer | null = null;
  let stopped = true;
  let polling: Promise<void> = Promise.resolve();
  let failing = false;
  const publish = async () => {
    if (deps.leading()) await Promise.all(deps.files.map((f) => f.publish()));
  };
  const poll = async () => {
    try {
      if (!deps.leading()) {
        seen = null; // a follower keeps nothing: once it leads, its first poll publishes
        return;
      }
      const version = await deps.store.publishVersion();
      if (failing) log.info('the publish version is read again');
      failing = false;
      if (version === seen) return;
      seen = version; // read before the build: a change committed meanwhile moves it again
      await publish();
    } catch (err) {
      if (!failing) log.warn({ err }, 'reading the publish version failed; retrying every poll');
      failing = true;
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = deps.clock.setTimeout(() => {
      polling = poll().finally(schedule);
    }, pollMs);
  };
  return {
    publish,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      await polling;
    },
    errors: () =>
      deps.files.flatMap((f) => {
        const err = f.lastError();
        return err ? [{ file: f.name, error: err.message }] : [];
      }),
  };
}
