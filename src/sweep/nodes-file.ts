// The nodes.json publisher. Guarantees: the file is replaced atomically (atomic-write.ts); it is never
// written from a failed read (the old file stays); identical content is not rewritten, but a file that
// was deleted or changed by someone else is recreated on the next publish; publishes never overlap and
// requests made while one runs are coalesced into one more run.
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { renderNodesFile, type OnlineNode } from '../domain/nodes-file-entry.js';
import { writeFileAtomic } from './atomic-write.js';

/** The result of one publish. */
export type PublishResult = 'written' | 'unchanged' | 'failed';

/** Dependencies of the nodes.json publisher. */
export interface NodesFileDeps {
  path: string;
  readOnline: () => Promise<OnlineNode[]>;
  logger: Logger;
  write?: (path: string, content: string) => Promise<void>;
}

/** Publishes nodes.json on request. */
export interface NodesFilePublisher {
  /** Rebuilds and (if changed) writes the file; concurrent calls share one pending run. */
  publish(): Promise<PublishResult>;
  /** The error of the last failed publish, or null after a success. */
  lastError(): Error | null;
}

/** Creates the publisher for one nodes.json path. Only one process may own a given path. */
export function createNodesFilePublisher(deps: NodesFileDeps): NodesFilePublisher {
  const log = deps.logger.child({ module: 'nodes-file' });
  const write = deps.write ?? writeFileAtomic;
  let written: { content: string; size: number; mtimeMs: number } | null = null;
  let failure: Error | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  let queued: Promise<PublishResult> | null = null;

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
    let nodes: OnlineNode[];
    try {
      nodes = await deps.readOnline();
    } catch (err) {
      failure = err as Error;
      log.error({ err, path: deps.path }, 'nodes.json not written: reading online nodes failed');
      return 'failed';
    }
    const content = renderNodesFile(nodes);
    if (written?.content === content && (await stillOnDisk())) {
      failure = null;
      return 'unchanged';
    }
    const started = performance.now();
    try {
      await write(deps.path, content);
      const st = await stat(deps.path);
      written = { content, size: st.size, mtimeMs: st.mtimeMs };
      failure = null;
    } catch (err) {
      failure = err as Error;
      log.error({ err, path: deps.path }, 'nodes.json write failed; previous file left in place');
      return 'failed';
    }
    log.info(
      { path: deps.path, nodes: nodes.length, nodeIds: nodes.length <= 20 ? nodes.map((n) => n.id) : undefined, bytes: Buffer.byteLength(content), ms: Math.round(performance.now() - started) },
      'nodes.json written',
    );
    return 'written';
  };

  return {
    publish() {
      if (queued) return queued;
      const next = chain.then(() => {
        queued = null;
        return run();
      });
      queued = next;
      chain = next.catch(() => undefined);
      return next;
    },
    lastError: () => failure,
  };
}
