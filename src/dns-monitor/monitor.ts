// The dns-monitor: polls dns.conf and runs the update script when its content changes or when it
// appears (the first sighting counts as a change). Guarantees: runs never overlap; a change seen
// during a run triggers exactly one more run; a missing or non-executable script is logged once and
// retried at each poll until it can run; a failing or hanging script (timeout) is logged and survived.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { createPeriodicTask } from '../periodic.js';
import { runScript, type ScriptRunner } from './run-script.js';

/** Dependencies of the monitor. */
export interface DnsMonitorDeps {
  confPath: string;
  scriptPath: string;
  intervalMs: number;
  scriptTimeoutMs: number;
  logger: Logger;
  run?: ScriptRunner;
  /** Reads dns.conf; null when it does not exist. */
  readConf?: (path: string) => Promise<string | null>;
}

/** A running dns-monitor. */
export interface DnsMonitor {
  /** Polls once now, then every interval. */
  start(): Promise<void>;
  /** Stops polling, terminates a running script, waits for it. */
  stop(): Promise<void>;
  /** One poll (what every interval does). */
  poll(): Promise<void>;
  /** Resolves when no run is in progress (for tests). */
  idle(): Promise<void>;
}

async function readConfFile(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Creates the monitor. */
export function createDnsMonitor(deps: DnsMonitorDeps): DnsMonitor {
  const log = deps.logger.child({ module: 'dns-monitor' });
  const run = deps.run ?? runScript;
  const readConf = deps.readConf ?? readConfFile;
  const abort = new AbortController();
  let seen: string | null | undefined; // undefined: never looked; null: absent
  let readProblem: string | null = null;
  let scriptProblem: string | null = null;
  let pending = false;
  let running: Promise<void> | null = null;
  let stopped = false;

  const runUntilSettled = async () => {
    while (pending && !stopped) {
      pending = false;
      const result = await run(deps.scriptPath, { timeoutMs: deps.scriptTimeoutMs, signal: abort.signal });
      if (result.problem === 'missing' || result.problem === 'not-executable') {
        if (scriptProblem !== result.problem) {
          log.error({ script: deps.scriptPath, problem: result.problem }, 'update script cannot run; will retry at each poll');
        }
        scriptProblem = result.problem;
        pending = true; // the change is still to be applied
        return;
      }
      scriptProblem = null;
      const fields = { script: deps.scriptPath, exitCode: result.exitCode, signal: result.signal, durationMs: result.durationMs, timedOut: result.timedOut, error: result.error };
      if (stopped) log.warn(fields, 'update script stopped by shutdown');
      else if (result.timedOut) log.error(fields, 'update script timed out and was killed');
      else if (result.exitCode === 0) log.info(fields, 'update script finished');
      else log.error(fields, 'update script failed');
    }
  };

  const trigger = () => {
    if (running || stopped) return;
    running = runUntilSettled().finally(() => {
      running = null;
    });
  };

  const poll = async () => {
    let content: string | null;
    try {
      content = await readConf(deps.confPath);
    } catch (err) {
      const why = (err as Error).message;
      if (readProblem !== why) log.error({ path: deps.confPath, err }, 'cannot read dns.conf');
      readProblem = why;
      return;
    }
    readProblem = null;
    if (content === null) {
      if (seen !== null) log.warn({ path: deps.confPath }, seen === undefined ? 'dns.conf not found; waiting for it' : 'dns.conf disappeared');
      seen = null;
    } else if (content !== seen) {
      const sha256 = createHash('sha256').update(content).digest('hex');
      log.info({ path: deps.confPath, bytes: Buffer.byteLength(content), sha256, appeared: seen == null }, 'dns.conf changed');
      seen = content;
      pending = true;
    }
    if (pending) trigger();
  };

  const task = createPeriodicTask(poll, deps.intervalMs);
  return {
    start: () => task.start(),
    async stop() {
      stopped = true;
      await task.stop();
      abort.abort();
      await running;
    },
    poll,
    async idle() {
      while (running) await running;
    },
  };
}
