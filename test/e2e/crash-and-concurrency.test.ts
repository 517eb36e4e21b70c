// Crash safety and concurrency of the real process: SIGKILL after a burst, 50 concurrent registrations,
// an orphan-free primary crash, and start-up refusal on bad configuration.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { registrationBody, tempDir } from '../helpers/fixtures.js';
import { freePort, processGroup, readNodesJson, request, startMaster, stopMaster, waitFor, waitUntilClosed } from './harness.js';

describe('end-to-end: crashes and concurrency (two workers)', () => {
  it('gives 50 concurrent registrations 50 distinct IDs', async () => {
    const t = tempDir('argus-e2e-');
    const m = await startMaster(t.dir);
    try {
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => request('POST', `${m.api}/nodes`, registrationBody(`burst-${i}`))));
      assert.ok(answers.every((a) => a.status === 201), JSON.stringify(answers.filter((a) => a.status !== 201)));
      assert.equal(new Set(answers.map((a) => a.body.id)).size, 50);
      const sameName = await Promise.all(Array.from({ length: 20 }, () => request('POST', `${m.api}/nodes`, registrationBody('one-machine'))));
      assert.equal(new Set(sameName.map((a) => a.body.id)).size, 1, 'concurrent registrations of one name make one node');
      assert.equal(sameName.filter((a) => a.status === 201).length, 1);
      assert.equal((await request('GET', `${m.api}/nodes`)).body.length, 51);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });

  it('keeps every answered registration and config change after a SIGKILL of all its processes', async () => {
    const t = tempDir('argus-e2e-');
    let m = await startMaster(t.dir);
    const answered: Array<{ id: string; name: string }> = [];
    try {
      const burst = Array.from({ length: 60 }, (_, i) =>
        request('POST', `${m.api}/nodes`, registrationBody(`kill-${i}`)).then((r) => {
          if (r.status === 201) answered.push({ id: r.body.id, name: r.body.name });
        }),
      );
      await Promise.all(burst.slice(0, 30));
      const first = answered[0]!;
      const cfg = await request('PUT', `${m.api}/nodes/${first.id}/config`, { config: { k: 'v' }, label: ['kept'] });
      assert.equal(cfg.status, 200);
      m.kill('SIGKILL', true); // while the rest of the burst may still be in flight
      await Promise.allSettled(burst);
      await m.exited;
      assert.ok(answered.length >= 30);
      m = await startMaster(t.dir);
      const list = (await request('GET', `${m.api}/nodes`)).body as Array<{ id: string; name: string }>;
      const stored = new Map(list.map((n) => [n.id, n.name]));
      for (const a of answered) assert.equal(stored.get(a.id), a.name, `answered node ${a.id} survived`);
      const kept = (await request('GET', `${m.api}/nodes/${first.id}`)).body;
      assert.deepEqual(kept.label, ['kept']);
      assert.deepEqual(kept.config, { k: 'v' });
      assert.ok(Array.isArray(readNodesJson(m)), 'nodes.json is whole');
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });

  it('leaves no worker behind when the primary alone is SIGKILLed', async () => {
    const t = tempDir('argus-e2e-');
    const m = await startMaster(t.dir);
    try {
      const workers = processGroup(m).filter((pid) => pid !== m.proc.pid);
      assert.equal(workers.length, 2, 'two workers run');
      m.kill('SIGKILL');
      await m.exited;
      // The port closing proves nothing (the primary owns it): every worker process must be gone.
      await waitFor('every worker to exit', () => processGroup(m).length === 0, 5_000);
      await waitUntilClosed(m.base, 5_000);
      const again = await startMaster(t.dir, {}, Number(new URL(m.base).port));
      await stopMaster(again);
    } finally {
      m.kill('SIGKILL', true);
      t.cleanup();
    }
  });

  it('stops with all its processes when `npm start` receives SIGTERM, even during start-up', async () => {
    for (const waitReady of [true, false]) {
      const t = tempDir('argus-e2e-');
      const port = await freePort();
      const npm = spawn('npm', ['start'], {
        cwd: join(import.meta.dirname, '../..'),
        stdio: 'ignore',
        detached: true,
        env: { ...process.env, DB_PATH: join(t.dir, 'db.sqlite3'), METRIC_NODES_JSON_PATH: join(t.dir, 'nodes.json'), MASTER_BIND: `127.0.0.1:${port}`, MASTER_WORKERS: '2' },
      });
      const exited = new Promise((r) => npm.once('exit', r));
      try {
        if (waitReady) await waitFor('readiness', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 15_000);
        else await waitFor('nodes.json (start-up under way)', () => existsSync(join(t.dir, 'nodes.json')), 15_000, 10);
        process.kill(npm.pid!, 'SIGTERM'); // npm only, as a supervisor or a terminal would
        await exited;
        await waitUntilClosed(`http://127.0.0.1:${port}`, 10_000);
        // npm was started in its own process group: the master's primary and workers are in it too.
        await waitFor('every master process to exit', () => spawnSync('pgrep', ['-g', String(npm.pid)], { encoding: 'utf8' }).stdout.trim() === '', 5_000);
      } finally {
        try {
          process.kill(-npm.pid!, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
        t.cleanup();
      }
    }
  });

  it('refuses to start on a bad variable, with one line naming it, exit code 2', async () => {
    const port = await freePort();
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '../../dist/cli.js'), 'serve'], {
      env: { PATH: process.env.PATH, MASTER_BIND: `127.0.0.1:${port}`, ONLINE_THRESHOLD_SECONDS: 'soon', MASTER_WORKERS: '0' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(r.status, 2);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, /ONLINE_THRESHOLD_SECONDS="soon"/);
    assert.match(lines[1]!, /MASTER_WORKERS="0"/);
  });

  it('refuses to start with one plain line (exit 2, no stack) when the database cannot be created where DB_PATH says', async () => {
    const t = tempDir('argus-e2e-');
    try {
      const port = await freePort();
      const serve = (env: Record<string, string>, as: { uid?: number; gid?: number } = {}) =>
        spawnSync(process.execPath, [join(import.meta.dirname, '../../dist/cli.js'), 'serve'], {
          env: { PATH: process.env.PATH, MASTER_BIND: `127.0.0.1:${port}`, METRIC_NODES_JSON_PATH: join(t.dir, 'nodes.json'), ...env },
          encoding: 'utf8', timeout: 15_000, ...as,
        });
      // Its parent is a file.
      writeFileSync(join(t.dir, 'a-file'), '');
      const notDir = serve({ DB_PATH: join(t.dir, 'a-file', 'master', 'db.sqlite3') });
      assert.equal(notDir.status, 2, notDir.stderr);
      assert.deepEqual(notDir.stderr.trim().split('\n').length, 1, notDir.stderr);
      assert.match(notDir.stderr, /^argus-master: cannot create the database directory .*a-file\/master \(DB_PATH=.*\): .*not a directory.*; set DB_PATH/);
      // A user who may not write there (a laptop's /private/argus): as `nobody` when the tests run as root.
      if (process.getuid?.() === 0) {
        const locked = join(t.dir, 'locked');
        mkdirSync(locked, { mode: 0o755 });
        chmodSync(t.dir, 0o755);
        const denied = serve({ DB_PATH: join(locked, 'master', 'db.sqlite3'), METRIC_NODES_JSON_PATH: join(locked, 'metric', 'nodes.json') }, { uid: 65534, gid: 65534 });
        assert.equal(denied.status, 2, denied.stderr);
        assert.deepEqual(denied.stderr.trim().split('\n').length, 1, denied.stderr);
        assert.match(denied.stderr, /^argus-master: cannot create the database directory .*locked\/master \(DB_PATH=.*\): permission denied; set DB_PATH/);
        assert.doesNotMatch(denied.stdout + denied.stderr, /"level"|\bat \w+ \(/, 'no log line, no stack');
      }
    } finally {
      t.cleanup();
    }
  });

  it('runs in a single process with MASTER_WORKERS=1', async () => {
    const t = tempDir('argus-e2e-');
    const m = await startMaster(t.dir, { MASTER_WORKERS: '1' });
    try {
      assert.deepEqual(processGroup(m), [m.proc.pid], 'one process: no worker forked');
      const res = await request('POST', `${m.api}/nodes`, registrationBody());
      await request('PUT', `${m.api}/nodes/${res.body.id}/status`, { timestamp: new Date().toISOString(), health: {} });
      await waitFor('nodes.json', () => readNodesJson(m).length === 1, 2_000);
      assert.deepEqual(await stopMaster(m), { code: 0, signal: null });
    } finally {
      m.kill('SIGKILL', true);
      t.cleanup();
    }
  });
});
