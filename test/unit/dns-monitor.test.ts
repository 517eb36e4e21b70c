import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createDnsMonitor } from '../../src/dns-monitor/monitor.js';
import type { RunOptions, ScriptResult } from '../../src/dns-monitor/run-script.js';
import { runScript } from '../../src/dns-monitor/run-script.js';
import { silentLogger, tempDir } from '../helpers/fixtures.js';

const ok: ScriptResult = { exitCode: 0, signal: null, durationMs: 1, timedOut: false };

/** A fake script runner whose runs finish only when the test says so. */
function fakeRunner() {
  const runs: Array<{ options: RunOptions; finish: (r?: ScriptResult) => void }> = [];
  let result: ScriptResult = ok;
  let immediate = true;
  return {
    runs,
    setResult(r: ScriptResult) { result = r; },
    hold() { immediate = false; },
    run: (_path: string, options: RunOptions) =>
      new Promise<ScriptResult>((resolve) => {
        runs.push({ options, finish: (r) => resolve(r ?? result) });
        if (immediate) resolve(result);
      }),
  };
}

describe('dns-monitor', () => {
  let t: ReturnType<typeof tempDir>;
  let conf: string;
  beforeEach(() => {
    t = tempDir();
    conf = join(t.dir, 'dns.conf');
  });
  afterEach(() => t.cleanup());

  const make = (runner: ReturnType<typeof fakeRunner>) =>
    createDnsMonitor({ confPath: conf, scriptPath: '/x/update-dns.sh', intervalMs: 10_000, scriptTimeoutMs: 60_000, logger: silentLogger, run: runner.run });

  it('runs the script when the file appears (first sighting counts), then only on content changes', async () => {
    const r = fakeRunner();
    const m = make(r);
    await m.poll();
    assert.equal(r.runs.length, 0, 'no file, no run');
    writeFileSync(conf, 'nameserver 10.0.0.1\n');
    await m.poll();
    await m.idle();
    assert.equal(r.runs.length, 1);
    await m.poll();
    await m.idle();
    assert.equal(r.runs.length, 1, 'unchanged content');
    writeFileSync(conf, 'nameserver 10.0.0.2\n');
    await m.poll();
    await m.idle();
    assert.equal(r.runs.length, 2);
  });

  it('counts a file present at start-up as a change', async () => {
    writeFileSync(conf, 'nameserver 10.0.0.1\n');
    const r = fakeRunner();
    const m = make(r);
    await m.poll();
    await m.idle();
    assert.equal(r.runs.length, 1);
  });

  it('treats a file that disappears and comes back with the same content as a change', async () => {
    writeFileSync(conf, 'a');
    const r = fakeRunner();
    const m = make(r);
    await m.poll();
    rmSync(conf);
    await m.poll();
    writeFileSync(conf, 'a');
    await m.poll();
    await m.idle();
    assert.equal(r.runs.length, 2);
  });

  it('never overlaps runs, and a change during a run triggers exactly one more run', async () => {
    const r = fakeRunner();
    r.hold();
    const m = make(r);
    writeFileSync(conf, 'v1');
    await m.poll();
    assert.equal(r.runs.length, 1);
    writeFileSync(conf, 'v2');
    await m.poll();
    writeFileSync(conf, 'v3');
    await m.poll();
    assert.equal(r.runs.length, 1, 'no second run while the first one runs');
    r.runs[0]!.finish();
    await new Promise((res) => setImmediate(res));
    assert.equal(r.runs.length, 2, 'one more run for the changes seen meanwhile');
    r.runs[1]!.finish();
    await m.idle();
    assert.equal(r.runs.length, 2);
  });

  it('survives a failing or timed-out script without retrying the same content', async () => {
    const r = fakeRunner();
    r.setResult({ exitCode: 3, signal: null, durationMs: 5, timedOut: false });
    const m = make(r);
    writeFileSync(conf, 'v1');
    await m.poll();
    await m.idle();
    r.setResult({ exitCode: null, signal: 'SIGTERM', durationMs: 60_000, timedOut: true });
    writeFileSync(conf, 'v2');
    await m.poll();
    await m.idle();
    await m.poll();
    await m.idle();
    assert.equal(r.runs.length, 2);
  });

  it('retries a missing or non-executable script at each poll until it can run', async () => {
    const r = fakeRunner();
    r.setResult({ exitCode: null, signal: null, durationMs: 0, timedOut: false, problem: 'missing' });
    const m = make(r);
    writeFileSync(conf, 'v1');
    await m.poll();
    await m.idle();
    await m.poll();
    await m.idle();
    assert.equal(r.runs.length, 2);
    r.setResult(ok);
    await m.poll();
    await m.idle();
    await m.poll();
    await m.idle();
    assert.equal(r.runs.length, 3, 'once it ran, no more retries');
  });

  it('passes the timeout and polls once per interval', async (tc) => {
    tc.mock.timers.enable({ apis: ['setTimeout'] });
    let reads = 0;
    const r = fakeRunner();
    const m = createDnsMonitor({
      confPath: conf, scriptPath: '/x', intervalMs: 2_500, scriptTimeoutMs: 7_000, logger: silentLogger, run: r.run,
      readConf: async () => { reads++; return `v${reads}`; },
    });
    await m.start();
    assert.equal(reads, 1);
    for (let i = 0; i < 4; i++) {
      tc.mock.timers.tick(2_500);
      for (let k = 0; k < 10; k++) await Promise.resolve();
    }
    assert.equal(reads, 5);
    assert.equal(r.runs[0]!.options.timeoutMs, 7_000);
    await m.stop();
    tc.mock.timers.tick(10_000);
    assert.equal(reads, 5, 'no poll after stop');
  });
});

describe('runScript (a real process)', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => { t = tempDir(); });
  afterEach(() => t.cleanup());
  const script = (body: string, mode = 0o755) => {
    const p = join(t.dir, 'update-dns.sh');
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, mode);
    return p;
  };

  it('reports the exit code', async () => {
    assert.equal((await runScript(script('exit 0'), { timeoutMs: 5_000 })).exitCode, 0);
    assert.equal((await runScript(script('exit 7'), { timeoutMs: 5_000 })).exitCode, 7);
  });
  it('reports a missing and a non-executable script without throwing', async () => {
    assert.equal((await runScript(join(t.dir, 'nope.sh'), { timeoutMs: 1_000 })).problem, 'missing');
    assert.equal((await runScript(script('exit 0', 0o644), { timeoutMs: 1_000 })).problem, 'not-executable');
  });
  /** Resolves once `path` exists (the script started), turning the event loop meanwhile; no timer. */
  const started = async (path: string) => {
    for (let i = 0; i < 2_000_000 && !existsSync(path); i++) await new Promise((r) => setImmediate(r));
    assert.ok(existsSync(path), 'the script started');
  };
  /** Whether process `pid` still runs (a zombie waiting to be reaped does not). */
  const running = (pid: number) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  };

  it('kills a hanging script and its children at the timeout', async (tc) => {
    tc.mock.timers.enable({ apis: ['setTimeout'] });
    const pids = join(t.dir, 'pids');
    const run = runScript(script(`sleep 30 & echo $! > ${pids}.tmp; echo $$ >> ${pids}.tmp; mv ${pids}.tmp ${pids}; sleep 30`), { timeoutMs: 200, killGraceMs: 500 });
    await started(pids);
    const [child, shell] = readFileSync(pids, 'utf8').trim().split('\n').map(Number) as [number, number];
    assert.ok(running(child) && running(shell));
    tc.mock.timers.tick(199);
    assert.ok(running(child), 'not before the timeout');
    tc.mock.timers.tick(1);
    const r = await run;
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGTERM');
    for (let i = 0; i < 2_000_000 && running(child); i++) await new Promise((res) => setImmediate(res));
    assert.equal(running(child), false, 'the background child was killed with its group');
    assert.equal(running(shell), false);
  });
  it('terminates a running script when aborted', async () => {
    const ac = new AbortController();
    const pid = join(t.dir, 'pid');
    const p = runScript(script(`echo $$ > ${pid}.tmp; mv ${pid}.tmp ${pid}; sleep 30`), { timeoutMs: 60_000, signal: ac.signal });
    await started(pid);
    ac.abort();
    const r = await p;
    assert.equal(r.signal, 'SIGTERM');
    assert.equal(r.timedOut, false);
  });
});
