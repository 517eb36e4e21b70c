// A database on a real full filesystem (a small tmpfs), on the built CLI with two workers: writes answer
// 503, every failure is logged (without flooding) and counted in /metrics, /readyz on any worker warns
// while writes fail, and all of it clears once space is back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { registrationBody, tempDir } from '../helpers/fixtures.js';
import { requestFresh, startMaster, stopMaster, waitFor } from './harness.js';

/** Mounts a tmpfs of `size` at `dir`; null when this machine does not allow it (not root, no mount). */
function mountTmpfs(dir: string, size: string): (() => void) | null {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return () => void spawnSync('umount', ['-l', dir]);
}

/** Fills the filesystem of `dir` to the last byte (a file written until ENOSPC). */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const block = Buffer.alloc(4096, 1);
  let size = 0;
  for (let i = 0; i < 1_000_000; i++) {
    try {
      writeFileSync(path, block, { flag: i === 0 ? 'w' : 'a' });
      size += block.length;
    } catch {
      break;
    }
  }
  for (let n = 2048; n >= 1; n = Math.floor(n / 2)) {
    try {
      writeFileSync(path, Buffer.alloc(n, 1), { flag: 'a' });
    } catch {
      // full
    }
  }
  assert.ok(size > 0);
  return path;
}

describe('end-to-end: a database on a full filesystem (two workers)', () => {
  it('answers 503, logs and counts each failure, warns in /readyz, and recovers when space returns', async (t) => {
    const tmp = tempDir('argus-e2e-');
    const dbDir = join(tmp.dir, 'full');
    const unmount = mountTmpfs(dbDir, '1m');
    if (!unmount) {
      const why = 'cannot mount a tmpfs here (needs root); the full-filesystem test did not run';
      tmp.cleanup();
      if (process.env.CI === 'true') assert.fail(why);
      t.skip(why);
      return;
    }
    const m = await startMaster(tmp.dir, { DB_PATH: join(dbDir, 'db.sqlite3'), LOG_REQUESTS: 'false' });
    try {
      const api = m.api;
      assert.equal((await requestFresh('POST', `${api}/nodes`, registrationBody('before-full'))).status, 201);
      const filler = fill(dbDir);
      const answers: number[] = [];
      const bulky = (i: number) => registrationBody(`full-${i}`, { meta_data: { note: 'x'.repeat(250), more: Array.from({ length: 40 }, () => 'y'.repeat(250)) } });
      let failure: { status: number; body: { error: string } } | undefined;
      for (let i = 0; i < 400 && answers.filter((s) => s === 503).length < 20; i++) {
        const r = await requestFresh('POST', `${api}/nodes`, bulky(i));
        answers.push(r.status);
        if (r.status === 503) failure = r;
        else assert.equal(r.status, 201, JSON.stringify(r.body));
      }
      assert.ok(failure, `writes failed on the full filesystem (answers: ${answers.join(',')})`);
      assert.match(failure.body.error, /^storage unavailable: SQLITE_FULL/);

      // Every worker warns (the failing worker tells the primary, which tells the other one).
      for (let i = 0; i < 4; i++) {
        const ready = await requestFresh('GET', `${m.base}/readyz`);
        assert.ok((ready.body.warnings ?? []).some((w: string) => /^database writes failing: SQLITE_FULL since \d{4}-\d\d-\d\dT/.test(w)), JSON.stringify(ready.body));
      }
      const metrics = (await requestFresh('GET', `${m.base}/metrics`)).body as string;
      const counted = Number(/^argus_master_storage_errors_total\{code="SQLITE_FULL"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
      assert.ok(counted >= 20, `storage errors counted: ${counted}`);
      const logged = m.output().split('\n').filter((l) => l.includes('"msg":"storage failure"'));
      assert.ok(logged.length >= 1 && logged.length <= 6, `one line per process and code, not one per failure: ${logged.length} lines for ${counted} failures`);
      assert.ok(logged.every((l) => l.includes('"level":50') && l.includes('"code":"SQLITE_FULL"')));

      rmSync(filler);
      // Writes work again: the sweeper's heartbeat (the primary's write every interval) says so for
      // every process, though no worker writes (a worker that saw the failure kept the warning for as
      // long as it made no write of its own).
      await waitFor('the warning to go on every worker without a write request', async () => {
        const rs = await Promise.all([0, 1, 2, 3].map(() => requestFresh('GET', `${m.base}/readyz`)));
        return rs.every((r) => r.status === 200 && r.body.warnings === undefined);
      }, 5_000);
      assert.match(m.output(), /"msg":"database writes succeed again( \(in another process of this master\))?"/);
      for (let i = 0; i < 6; i++) assert.equal((await requestFresh('POST', `${api}/nodes`, registrationBody(`after-${i}`))).status, 201);
    } finally {
      await stopMaster(m);
      unmount();
      tmp.cleanup();
    }
  });
});
