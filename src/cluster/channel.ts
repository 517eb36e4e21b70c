// The typed channel between a cluster's primary and its workers (Node cluster IPC), both halves of each
// exchange in one place:
// - a worker tells the primary that it listens;
// - /metrics: the asking worker sends a request, the primary collects every worker's metrics, merges
//   them with its own and answers the asker;
// - storage health: each process says when its writes start or stop failing; the primary relays the
//   union to every worker, so /readyz on any worker warns about a failing database; and a write that
//   succeeds in any process while another's are marked failing clears every process's mark (one
//   database: a worker that makes no write would otherwise keep its warning for good).
import type { Worker } from 'node:cluster';
import { mergeMetrics, type Metrics, type MetricsJson } from '../metrics.js';
import type { WritesFailing } from '../storage/health.js';

/** Messages a worker sends to the primary. */
export type WorkerMessage =
  | { type: 'argus:listening' }
  | { type: 'argus:metrics-request'; id: number }
  | { type: 'argus:metrics-part'; id: number; part: MetricsJson }
  | { type: 'argus:storage-health'; failing: WritesFailing | null }
  | { type: 'argus:writes-work' };

/** Messages the primary sends to a worker. */
export type PrimaryMessage =
  | { type: 'argus:shutdown' }
  | { type: 'argus:metrics-collect'; id: number }
  | { type: 'argus:metrics-response'; id: number; text?: string; error?: string }
  | { type: 'argus:storage-health-all'; failing: WritesFailing[] }
  | { type: 'argus:writes-work-all' };

const METRICS_TIMEOUT_MS = 5_000;
/** A worker tells the primary that writes work again at most this often (every write would say it). */
const WRITES_WORK_EVERY_MS = 1_000;

/** The worker's half: what it sends, and the answers and relays it receives. */
export interface WorkerChannel {
  listening(): void;
  storageHealth(failing: WritesFailing | null): void;
  /** The merged /metrics text of every process, from the primary. */
  metricsText(): Promise<string>;
  /** Writes failing in the other processes, as the primary last relayed them. */
  othersFailing(): WritesFailing[];
  /** A write of this worker succeeded: when others are marked failing, tell the primary (at most once a second). */
  writeSucceeded(): void;
}

/** In a worker: resolves when the primary asks it to shut down (listen from the start of the process). */
export function shutdownRequested(): Promise<void> {
  return new Promise((resolve) => {
    process.on('message', (m: PrimaryMessage) => {
      if (m?.type === 'argus:shutdown') resolve();
    });
  });
}

/**
 * Opens the worker's half on `process` (its IPC channel to the primary); `onRecovered` runs when writes
 * work again in another process (this worker's own failure is then forgotten).
 */
export function openWorkerChannel(metrics: Metrics, onRecovered: () => void = () => undefined): WorkerChannel {
  // The channel is closed once the primary is gone (this worker is then stopping): send nothing then.
  const send = (m: WorkerMessage) => {
    if (process.connected) process.send?.(m);
  };
  let nextId = 0;
  let others: WritesFailing[] = [];
  let toldAtMs = -Infinity;
  const waiting = new Map<number, (m: Extract<PrimaryMessage, { type: 'argus:metrics-response' }>) => void>();
  process.on('message', (m: PrimaryMessage) => {
    switch (m?.type) {
      case 'argus:metrics-collect':
        void metrics.registry.getMetricsAsJSON().then((part) => send({ type: 'argus:metrics-part', id: m.id, part }));
        break;
      case 'argus:metrics-response':
        waiting.get(m.id)?.(m);
        break;
      case 'argus:storage-health-all':
        others = m.failing;
        break;
      case 'argus:writes-work-all':
        others = [];
        onRecovered();
        break;
    }
  });
  return {
    listening: () => send({ type: 'argus:listening' }),
    storageHealth: (failing) => send({ type: 'argus:storage-health', failing }),
    othersFailing: () => others,
    writeSucceeded() {
      if (others.length === 0 || Date.now() - toldAtMs < WRITES_WORK_EVERY_MS) return;
      toldAtMs = Date.now();
      send({ type: 'argus:writes-work' });
    },
    metricsText: () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error('metrics from the primary timed out'));
        }, METRICS_TIMEOUT_MS);
        waiting.set(id, (m) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (m.text !== undefined) resolve(m.text);
          else reject(new Error(m.error ?? 'metrics unavailable'));
        });
        send({ type: 'argus:metrics-request', id });
      }),
  };
}

/** Dependencies of the primary's half. */
export interface PrimaryChannelDeps {
  metrics: Metrics;
  liveWorkers: () => Worker[];
  /** Writes work again (in a worker, or in the primary): the primary forgets its own failure too. */
  onRecovered?: () => void;
}

/** The primary's half. */
export interface PrimaryChannel {
  /** Handles one message of `worker` (install with `worker.on('message', …)`). */
  handle(worker: Worker, msg: WorkerMessage): void;
  /** Records the primary's own storage state and relays the union to the workers. */
  ownStorageHealth(failing: WritesFailing | null): void;
  /** A worker is gone: forget its state. */
  forget(worker: Worker): void;
  /** A write of the primary succeeded: a failure marked in any process is over. */
  writeSucceeded(): void;
  shutdown(worker: Worker): void;
}

/** Creates the primary's half. */
export function createPrimaryChannel(deps: PrimaryChannelDeps): PrimaryChannel {
  let nextCollect = 0;
  const collecting = new Map<number, { parts: MetricsJson[]; pending: number; done: () => void }>();
  const failing = new Map<number | 'primary', WritesFailing>();
  const relay = () => {
    const all = [...failing.values()];
    for (const w of deps.liveWorkers()) w.send({ type: 'argus:storage-health-all', failing: all } satisfies PrimaryMessage);
  };
  const setFailing = (who: number | 'primary', state: WritesFailing | null) => {
    if (state) failing.set(who, state);
    else if (!failing.delete(who)) return;
    relay();
  };
  /** Writes work again somewhere: every process forgets its failure (one database). */
  const recovered = () => {
    if (failing.size === 0) return;
    failing.clear();
    deps.onRecovered?.();
    for (const w of deps.liveWorkers()) w.send({ type: 'argus:writes-work-all' } satisfies PrimaryMessage);
    relay();
  };

  // Metrics merge: collect a part from every live worker, add ours, answer the asking worker.
  const answerMetrics = async (asker: Worker, id: number) => {
    const workers = deps.liveWorkers();
    const collectId = nextCollect++;
    const parts: MetricsJson[] = [await deps.metrics.registry.getMetricsAsJSON()];
    let reply: Extract<PrimaryMessage, { type: 'argus:metrics-response' }>;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          collecting.delete(collectId);
          reject(new Error('a worker did not send its metrics in time'));
        }, METRICS_TIMEOUT_MS - 500);
        collecting.set(collectId, { parts, pending: workers.length, done: () => { clearTimeout(timer); resolve(); } });
        for (const w of workers) w.send({ type: 'argus:metrics-collect', id: collectId } satisfies PrimaryMessage);
        if (workers.length === 0) resolve();
      });
      reply = { type: 'argus:metrics-response', id, text: await mergeMetrics(parts) };
    } catch (err) {
      reply = { type: 'argus:metrics-response', id, error: (err as Error).message };
    }
    if (asker.isConnected()) asker.send(reply satisfies PrimaryMessage);
  };

  return {
    handle(worker, msg) {
      switch (msg?.type) {
        case 'argus:listening':
          // A new worker learns the current storage state at once.
          worker.send({ type: 'argus:storage-health-all', failing: [...failing.values()] } satisfies PrimaryMessage);
          break;
        case 'argus:metrics-request':
          void answerMetrics(worker, msg.id);
          break;
        case 'argus:metrics-part': {
          const c = collecting.get(msg.id);
          if (!c) break;
          c.parts.push(msg.part);
          if (--c.pending === 0) {
            collecting.delete(msg.id);
            c.done();
          }
          break;
        }
        case 'argus:storage-health':
          setFailing(worker.id, msg.failing);
          break;
        case 'argus:writes-work':
          recovered();
          break;
      }
    },
    ownStorageHealth: (state) => setFailing('primary', state),
    forget: (worker) => setFailing(worker.id, null),
    writeSucceeded: () => {
      // Only the primary's own success with another process still marked is news.
      if ([...failing.keys()].some((k) => k !== 'primary')) recovered();
    },
    shutdown: (worker) => worker.send({ type: 'argus:shutdown' } satisfies PrimaryMessage),
  };
}
