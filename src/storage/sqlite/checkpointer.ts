// WAL checkpoints off the event loop. Guarantees: while the master runs, a thread of the sweeping process
// keeps folding the WAL into the database file and starting it over, so no
// request-serving commit copies pages (SQLite's automatic checkpoint runs inside the commit that crosses
// 1,000 WAL pages: tens of milliseconds in which that process answers nothing, several times a
// second per worker); a thread that dies is started again a second later; and should it fall behind
// anyway, every connection still checkpoints by itself once the WAL holds FALLBACK_AUTOCHECKPOINT_PAGES,
// so the WAL stays bounded whatever the thread does. Writers of the sweeping process that run one
// transaction after another (a sweep's chunks, `inSeries`) step aside between two of them while the
// thread waits for the write lock to start the WAL over (`wantsLock`), so that a long sweep does not
// lock it out.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Automatic checkpoints of the serving connections when the thread runs: a bound, not the usual path
 * (should the thread die or a reader keep the WAL from starting over). A sweep taking a million nodes
 * offline holds the write lock nearly throughout; before its chunks stepped aside for the thread, the
 * WAL reached this bound and a commit of the sweep checkpointed inline (docs/PERFORMANCE.md, "Figures
 * behind the code").
 */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 40_000;

/** What the thread is given (and `driver`, better-sqlite3's path). */
export interface CheckpointThreadData {
  path: string;
  everyMs: number;
  restartFrames: number;
  synchronous: 'normal' | 'full';
  /** How long one RESTART is retried (every ~0.5 ms) while `wantsLock` asks writers to step aside (ms). */
  restartWaitMs: number;
  /** Int32Array over it: [0] is 1 while the thread waits for the write lock; [1] its sleep; [2] how many series run. */
  signal: SharedArrayBuffer;
}

/** What the thread reports. */
export type CheckpointThreadMessage =
  | { type: 'restarted'; frames: number }
  | { type: 'error'; message: string; code?: string }
  | { type: 'recovered' };

/** Options of the checkpointer. */
export interface CheckpointerOptions {
  /** A PASSIVE checkpoint this often (ms). */
  everyMs?: number;
  /** The WAL starts over once it holds this many frames (4 KiB each). */
  restartFrames?: number;
  synchronous?: 'normal' | 'full';
  /** How long one RESTART is retried while writers of this process are asked to step aside (ms; 10). */
  restartWaitMs?: number;
  /** A thread that died is started again this much later (ms; 1,000). */
  respawnDelayMs?: number;
  /** A failing checkpoint, a thread that died, or one that works again. */
  onProblem?: (message: string, detail: Record<string, unknown>) => void;
  /** How a thread is started (default: a worker thread evaluating its code). */
  spawn?: (code: string, options: { eval: true; workerData: unknown }) => Worker;
}

/** A running checkpointer. */
export interface Checkpointer {
  /** How many times the WAL was started over (tests, diagnostics). */
  readonly restarts: number;
  /** How many threads were started (1 unless one died). */
  readonly threadsStarted: number;
  /**
   * True while the thread waits for the write lock to start the WAL over: a writer of this process about
   * to begin another transaction of a long series should wait (a millisecond at a time, a few at most).
   */
  wantsLock(): boolean;
  /**
   * Runs `series` (a writer's transactions one after another) telling the thread about it: while one
   * runs, a RESTART that finds the lock taken is retried with `wantsLock` up instead of tried once.
   */
  inSeries<T>(series: () => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

// The thread's body: CommonJS evaluated in the thread (a worker thread gets no TypeScript loader under
// tsx, so it cannot run a .ts file of its own; better-sqlite3 is resolved here and passed in). Its own
// connection folds the WAL into the database file: `PRAGMA wal_checkpoint(PASSIVE)` every `everyMs`
// (waits for no reader or writer), and once the WAL holds `restartFrames` frames, `RESTART`, so that the
// next writer starts the WAL over from its beginning: PASSIVE alone never lets the WAL start over while
// writes never pause (every checkpoint ends behind the newest commit). The busy timeout is 0: RESTART
// holds the write lock while it finishes, and waiting there for a reader (a nodes.json build reads for
// seconds at a million nodes) would stall every writer; a RESTART that finds a writer or a reader in its
// way gives up at once and is tried again at the next tick — or, while a writer of this process runs a
// series of transactions (`inSeries`: a sweep's chunks), every ~0.5 ms for `restartWaitMs` with the
// `wantsLock` flag up, the series waiting meanwhile. (Only then: every try that gets the write lock
// copies the newest commits and syncs the database file before it finds a reader in its way, so
// retrying during a nodes.json build would hold the other processes' writers up for a sync each time.)
// The checkpoint's syncs follow the
// connection's synchronous level (NORMAL: WAL and database file synced around each checkpoint, which is
// what makes starting the WAL over safe across a power loss).
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const { path, everyMs, restartFrames, synchronous, restartWaitMs } = workerData;
const want = new Int32Array(workerData.signal);
const post = (m) => parentPort.postMessage(m);
const db = new Database(path, { fileMustExist: true, timeout: 0 });
db.pragma('synchronous = ' + (synchronous === 'full' ? 'FULL' : 'NORMAL'));
db.pragma('wal_autocheckpoint = 0');
let timer;
let failing = false;
const tick = () => {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive && passive.log >= restartFrames) {
      // RESTART holds the write lock while it copies what was committed since the last PASSIVE and
      // syncs the WAL and the database file: one more PASSIVE first leaves it a few milliseconds of
      // commits to copy instead of a whole interval's (it holds the lock half as long).
      db.pragma('wal_checkpoint(PASSIVE)');
      // While a series runs (signal[2] > 0), its writer waits with the flag up and the RESTART is
      // retried every ~0.5 ms for at most restartWaitMs; otherwise it is tried once.
      const series = Atomics.load(want, 2) > 0;
      if (series) Atomics.store(want, 0, 1);
      try {
        const deadline = series ? Date.now() + restartWaitMs : 0;
        for (;;) {
          const [restart] = db.pragma('wal_checkpoint(RESTART)');
          if (restart && restart.busy === 0) {
            post({ type: 'restarted', frames: passive.log });
            break;
          }
          if (Date.now() >= deadline) break;
          Atomics.wait(want, 1, 0, 0.5);
        }
      } finally {
        Atomics.store(want, 0, 0);
      }
    }
    if (failing) post({ type: 'recovered' });
    failing = false;
  } catch (err) {
    if (!failing) post({ type: 'error', message: String(err && err.message), code: err && err.code });
    failing = true;
  }
  timer = setTimeout(tick, everyMs);
};
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
`;
const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** Starts the checkpoint thread of the database at `path` (a file in WAL mode). */
export function startCheckpointer(path: string, options: CheckpointerOptions = {}): Checkpointer {
  const data: CheckpointThreadData = {
    path,
    everyMs: options.everyMs ?? 25,
    restartFrames: options.restartFrames ?? 4_000,
    synchronous: options.synchronous ?? 'normal',
    restartWaitMs: options.restartWaitMs ?? 10,
    signal: new SharedArrayBuffer(12),
  };
  const want = new Int32Array(data.signal);
  let stopping = false;
  let restarts = 0;
  let threadsStarted = 0;
  let worker: Worker | undefined;
  let respawn: NodeJS.Timeout | undefined;
  const start = () => {
    threadsStarted++;
    const spawn = options.spawn ?? ((code, opts) => new Worker(code, opts));
    const w = spawn(THREAD, { eval: true, workerData: { ...data, driver } });
    w.unref();
    worker = w;
    w.on('message', (m: CheckpointThreadMessage) => {
      if (m.type === 'restarted') restarts++;
      else if (m.type === 'error') options.onProblem?.('WAL checkpoint failed (retried every interval)', { error: m.message, code: m.code });
      else options.onProblem?.('WAL checkpoints work again', {});
    });
    w.on('error', (err) => options.onProblem?.('WAL checkpoint thread failed', { error: err.message }));
    w.once('exit', (code) => {
      if (worker === w) worker = undefined;
      Atomics.store(want, 0, 0); // a thread ended mid-wait asks no one to step aside
      if (stopping) return;
      const delayMs = options.respawnDelayMs ?? 1_000;
      options.onProblem?.(`WAL checkpoint thread exited; starting another in ${delayMs} ms`, { code });
      respawn = setTimeout(start, delayMs);
      respawn.unref();
    });
  };
  start();
  const exitOf = (w: Worker) => new Promise<void>((resolve) => w.once('exit', () => resolve()));
  return {
    get restarts() { return restarts; },
    get threadsStarted() { return threadsStarted; },
    wantsLock: () => Atomics.load(want, 0) === 1,
    async inSeries(series) {
      Atomics.add(want, 2, 1);
      try {
        return await series();
      } finally {
        Atomics.sub(want, 2, 1);
      }
    },
    async stop() {
      stopping = true;
      clearTimeout(respawn);
      const w = worker;
      if (!w) return;
      const exited = exitOf(w);
      w.postMessage('stop');
      // A thread stuck in a checkpoint is not waited for long: the last close checkpoints anyway.
      const timeout = setTimeout(() => void w.terminate(), 2_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
