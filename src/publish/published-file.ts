// A published file (nodes.json, the Prometheus file_sd file). Guarantees: the file is replaced
// atomically (atomic-write.ts); it is never written from a failed read (the old file stays); identical
// content is not rewritten, but a file that was deleted or changed by someone else is recreated on the
// next publish; publishes never overlap and requests made while one runs are coalesced into one more run.
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { sha1Of } from '../hash.js';
import { byteLength, writeFileAtomic, type FileContent } from './atomic-write.js';

/** The result of one publish. */
export type PublishResult = 'written' | 'unchanged' | 'failed';

/** Dependencies of a file publisher. */
export interface FilePublisherDeps<T> {
  /** Short name for logs and metrics, e.g. `nodes.json`. */
  name: string;
  path: string;
  read: () => Promise<T>;
  render: (data: T) => FileContent;
  /** How many nodes `data` holds, for the log. */
  count?: (data: T) => number;
  logger: Logger;
  write?: (path: string, content: FileContent) => Promise<void>;
  /** Called after every publish with its result (metrics). */
  onResult?: (result: PublishResult) => void;
  /**
   * Least time between the end of one publish and the start of the next (default 0). During a burst of
   * changes (a thousand nodes coming online at once) this turns a rebuild per change into a few. The pause
   * is at least as long as the last publish took, too: under changes that never stop (health changing on
   * a large fleet) the process spends at most half its time publishing, and a change shows within about
   * twice a build's time (100,000 nodes: ~0.4 s a build).
   */
  minIntervalMs?: number;
  /** The clock of the pause between publishes (default: the system clock); tests inject theirs. */
  clock?: Clock;
}

/** Publishes one file on request. */
export interface FilePublisher {
  /** The name given at creation (logs, metrics, readiness). */
  readonly name: string;
  /** Rebuilds and (if changed) writes the file; concurrent calls share one pending run. */
  publish(): Promise<PublishResult>;
  /** The error of the last failed publish, or null after a success. */
  lastError(): Error | null;
}

/** Creates the publisher of one file. Only one process may own a given path. */
export function createFilePublisher<T>(deps: FilePublisherDeps<T>): FilePublisher {
  const log = deps.logger.child({ module: 'published-file', file: deps.name });
  const write = deps.write ?? writeFileAtomic;
  // What was last written, as a digest (a 100,000-node file is 10 MB: no copy is kept).
  let written: { sha1: string; size: number; mtimeMs: number } | null = null;
  let failure: Error | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let queued: Promise<PublishResult> | null = null;
  let lastEnd = Number.NEGATIVE_INFINITY;
  let lastTookMs = 0;
  const clock = deps.clock ?? systemClock;
  const now = () => clock.now();
  const pause = async () => {
    const waitMs = lastEnd + Math.max(deps.minIntervalMs ?? 0, lastTookMs) - now();
    if (waitMs > 0) await new Promise<void>((r) => void clock.setTimeout(r, waitMs));
  };

  const stillOnDisk = async (): Promise<boolean> => {
    if (!written) return false;
    try {
      const st = await stat(deps.path);
      return st.size === written.size && st.mtimeMs === written.mtimeMs;
    } catch {
      return false;
    }
  };

  const run = async (): Promise<PublishResult> => {
    let data: T;
    try {
      data = await deps.read();
    } catch (err) {
      failure = err as Error;
      log.error({ err, path: deps.path }, `${deps.name} not written: reading the nodes failed`);
      return 'failed';
    }
    const content = deps.render(data);
    const sha1 = await sha1Of(content, 'hex');
    if (written?.sha1 === sha1 && (await stillOnDisk())) {
      failure = null;
      return 'unchanged';
    }
    const started = now();
    try {
      await write(deps.path, content);
      const st = await stat(deps.path);
      written = { sha1, size: st.size, mtimeMs: st.mtimeMs };
      failure = null;
    } catch (err) {
      failure = err as Error;
      log.error({ err, path: deps.path }, `${deps.name} write failed; previous file left in place`);
      return 'failed';
    }
    log.info({ path: deps.path, nodes: deps.count?.(data), bytes: byteLength(content), ms: Math.round(now() - started) }, `${deps.name} written`);
    return 'written';
  };

  return {
    name: deps.name,
    publish() {
      if (queued) return queued;
      const next = chain.then(async () => {
        await pause(); // still `queued`: requests arriving now join this run
        queued = null;
        const started = now();
        const result = await run();
        lastEnd = now();
        lastTookMs = lastEnd - started;
        deps.onResult?.(result);
        return result;
      });
      queued = next;
      chain = next.catch(() => undefined);
      return next;
    },
    lastError: () => failure,
  };
}
