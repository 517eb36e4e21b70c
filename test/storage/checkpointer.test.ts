// The WAL checkpoint thread (src/storage/sqlite/checkpointer.ts): a real thread on a real file.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { setTimeout as pause } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { startCheckpointer, FALLBACK_AUTOCHECKPOINT_PAGES } from '../../src/storage/sqlite/checkpointer.js';
import { openDatabase } from '../../src/storage/sqlite/connection.js';
import { openSqliteStore } from '../../src/storage/sqlite/index.js';
import { tempDir } from '../helpers/fixtures.js';

const PAGE = 4096;

/**
 * Commits transactions of 50 rows of 4 KiB (≥ 50 WAL frames each), 1 ms apart, until `until()` or `max` of
 * them: a writer that never stops, yet leaves the write lock free most of the time, as a master's do.
 */
async function writeUntil(db: ReturnType<typeof openDatabase>, until: () => boolean, max: number): Promise<number> {
  db.exec('CREATE TABLE IF NOT EXISTS filler (x BLOB)');
  const insert = db.prepare('INSERT INTO filler (x) VALUES (randomblob(4000))');
  const tx = db.transaction(() => { for (let i = 0; i < 50; i++) insert.run(); });
  let n = 0;
  for (; n < max && !until(); n++) {
    tx();
    await pause(1);
  }
  return n;
}

/** Checkpoints and empties the WAL file, retrying while the checkpoint thread is in the way. */
async function waitForTruncate(db: ReturnType<typeof openDatabase>): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    const [r] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (r!.busy === 0 && statSync(`${db.name}-wal`).size === 0) return;
    await pause(1);
  }
  throw new Error('the WAL could not be truncated');
}

describe('WAL checkpoint thread', () => {
  it('starts the WAL over while writes never pause, so the WAL stays near its restart bound instead of growing to the fallback', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const db = openDatabase({ path, walCheckpoints: 'elsewhere' });
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), FALLBACK_AUTOCHECKPOINT_PAGES);
    const checkpointer = startCheckpointer(path, { everyMs: 2, restartFrames: 200 });
    try {
      let largestWal = 0;
      // 300 transactions ≈ 15,000 frames (60 MB).
      const written = await writeUntil(db, () => { largestWal = Math.max(largestWal, statSync(`${path}-wal`).size); return false; }, 300);
      assert.equal(written, 300);
      assert.ok(checkpointer.restarts >= 3, `the WAL was started over ${checkpointer.restarts} times`);
      // Without the thread the WAL would have held all 15,000 frames (60 MB). The bound is loose: the test
      // files run in parallel, and a starved thread lets a few of the writer's bursts pile up (9.6 MB seen).
      assert.ok(largestWal < 6_000 * PAGE, `largest WAL ${largestWal} bytes`);
    } finally {
      await checkpointer.stop();
      db.close();
      t.cleanup();
    }
  });

  it('starts another thread when its thread dies, which goes on starting the WAL over', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const db = openDatabase({ path, walCheckpoints: 'elsewhere' });
    const problems: string[] = [];
    const threads: Worker[] = [];
    const spawn = (code: string, options: { eval: true; workerData: unknown }) => {
      const w = new Worker(code, options);
      threads.push(w);
      return w;
    };
    const checkpointer = startCheckpointer(path, { everyMs: 2, restartFrames: 200, respawnDelayMs: 10, onProblem: (m) => problems.push(m), spawn });
    try {
      await threads[0]!.terminate(); // the thread dies
      const restartsBefore = checkpointer.restarts;
      await writeUntil(db, () => checkpointer.threadsStarted === 2 && checkpointer.restarts > restartsBefore, 2_000);
      assert.equal(checkpointer.threadsStarted, 2);
      assert.ok(checkpointer.restarts > restartsBefore, 'the new thread started the WAL over');
      assert.ok(problems.some((m) => m.includes('thread exited')), problems.join('; '));
    } finally {
      await checkpointer.stop();
      db.close();
      t.cleanup();
    }
  });

  it('cuts a WAL grown by one large transaction back to 64 MB once it starts over', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const db = openDatabase({ path, walCheckpoints: 'elsewhere' });
    const checkpointer = startCheckpointer(path, { everyMs: 2, restartFrames: 200 });
    try {
      db.exec('CREATE TABLE big (x BLOB)');
      db.prepare('WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000) INSERT INTO big (x) SELECT randomblob(4000) FROM n').run(); // ~80 MB in one transaction
      assert.ok(statSync(`${path}-wal`).size > 64 * 1024 * 1024);
      const restarts = checkpointer.restarts;
      await writeUntil(db, () => checkpointer.restarts > restarts + 1, 2_000);
      assert.ok(checkpointer.restarts > restarts + 1, 'the WAL started over');
      assert.ok(statSync(`${path}-wal`).size <= 64 * 1024 * 1024, `WAL ${statSync(`${path}-wal`).size} bytes`);
    } finally {
      await checkpointer.stop();
      db.close();
      t.cleanup();
    }
  });

  it('keeps the WAL near its restart bound during a long sweep, whose chunks step aside while the thread waits for the write lock', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const store = openSqliteStore({ path, walCheckpoints: 'thread', checkpointTuning: { everyMs: 25, restartFrames: 100 } });
    try {
      // 40,000 online nodes (≈ 600 bytes each) that last reported at 1,000: a sweep at 100,000 takes all of
      // them offline in 400 chunks, one transaction after another.
      store.db.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
         INSERT INTO nodes (id, seq, name, type, version, status, config, label, meta_data, health, register_time, last_report, last_updated, status_since)
         SELECT 'A' || i, i, 'n-' || i, 'agent', '1', 'online', '{}', '[]', json_object('pad', hex(randomblob(250))), '{}', 1000, 1000, 1000, 1000 FROM n`,
      ).run();
      // An empty WAL file to start from: its size after the sweep is then the largest the WAL grew.
      await waitForTruncate(store.db);
      assert.equal(await store.sweep({ offlineBeforeMs: 50_000, onlineSinceMs: 99_000 }, 100_000), 40_000);
      // Seen: ~700 pages; with the chunks not stepping aside 4,300–5,900 (RESTART, which never waits for
      // the lock, mostly finds it held), and the WAL of a million-node sweep then grew towards the fallback.
      const largest = statSync(`${path}-wal`).size / PAGE;
      assert.ok(largest < 2_500, `the WAL grew to ${largest} pages`);
    } finally {
      await store.close();
      t.cleanup();
    }
  });

  it('is run by a store opened with walCheckpoints: thread, and stopped by its close', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite3');
    const store = openSqliteStore({ path, walCheckpoints: 'thread' });
    assert.ok(store.checkpointer);
    assert.equal(store.checkpointer.threadsStarted, 1);
    await store.close();
    // Closed cleanly: the last connection removed the WAL (a running thread's connection would keep it).
    assert.throws(() => statSync(`${path}-wal`), { code: 'ENOENT' });
    t.cleanup();
  });
});
