// Runs the DNS update script once: in its own process group, output passed through, with a timeout
// (SIGTERM to the group, then SIGKILL after a grace period) and an abort signal for shutdown.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';

/** How one run ended. `problem` is set when the script could not be started at all. */
export interface ScriptResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  timedOut: boolean;
  problem?: 'missing' | 'not-executable' | 'spawn-failed';
  error?: string;
}

/** Options of one run. */
export interface RunOptions {
  timeoutMs: number;
  killGraceMs?: number;
  signal?: AbortSignal;
}

/** A function that runs the script (injected in tests). */
export type ScriptRunner = (path: string, options: RunOptions) => Promise<ScriptResult>;

/** Runs `path` (no arguments) and resolves when it has exited; never rejects. */
export const runScript: ScriptRunner = async (path, options) => {
  const started = performance.now();
  const ended = (r: Omit<ScriptResult, 'durationMs'>): ScriptResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
  try {
    if (!(await stat(path)).isFile()) return ended({ exitCode: null, signal: null, timedOut: false, problem: 'not-executable', error: 'not a regular file' });
  } catch {
    return ended({ exitCode: null, signal: null, timedOut: false, problem: 'missing' });
  }
  try {
    await access(path, constants.X_OK);
  } catch {
    return ended({ exitCode: null, signal: null, timedOut: false, problem: 'not-executable' });
  }
  return new Promise<ScriptResult>((resolve) => {
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(path, [], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    const terminate = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 5_000);
    };
    const timeout = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);
    const onAbort = () => terminate();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (r: Omit<ScriptResult, 'durationMs' | 'timedOut'>) => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(ended({ ...r, timedOut }));
    };
    child.once('error', (err) => finish({ exitCode: null, signal: null, problem: 'spawn-failed', error: err.message }));
    child.once('exit', (exitCode, signal) => finish({ exitCode, signal }));
  });
};
