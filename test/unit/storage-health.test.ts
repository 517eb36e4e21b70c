// Storage failures: logged once per code and then once a minute with a count, counted every time,
// and a warning state while writes fail that ends with the first successful write.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createManualClock } from '../../src/clock.js';
import { createStorageHealth, type WritesFailing } from '../../src/storage/health.js';

function make() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
  const clock = createManualClock();
  const counted: string[] = [];
  const changes: Array<WritesFailing | null> = [];
  const health = createStorageHealth({ logger, clock, count: (c) => counted.push(c), onChange: (s) => changes.push(s) });
  return { health, lines, clock, counted, changes };
}

describe('storage health', () => {
  it('logs the first failure of a code at error level, counts every failure, and does not flood', () => {
    const { health, lines, counted, clock } = make();
    for (let i = 0; i < 500; i++) health.failed('SQLITE_FULL', 'write', 'database or disk is full');
    assert.equal(counted.length, 500);
    assert.equal(lines.length, 1);
    assert.deepEqual([lines[0]!.level, lines[0]!.msg, lines[0]!.code], [50, 'storage failure', 'SQLITE_FULL']);
    clock.advance(60_000);
    health.failed('SQLITE_FULL', 'write', 'database or disk is full');
    assert.equal(lines.length, 2);
    assert.deepEqual([lines[1]!.level, lines[1]!.msg, lines[1]!.count], [50, 'storage failures continue', 500]);
    health.failed('SQLITE_IOERR', 'read', 'disk I/O error');
    assert.equal(lines.length, 3, 'a new code is logged at once');
  });

  it('says since when writes fail until one succeeds, and tells the other processes', () => {
    const { health, lines, clock, changes } = make();
    assert.equal(health.writesFailing(), null);
    health.failed('SQLITE_BUSY', 'read', 'locked');
    assert.equal(health.writesFailing(), null, 'a failed read is not a failed write');
    const since = clock.now();
    health.failed('SQLITE_FULL', 'write', 'full');
    clock.advance(5_000);
    health.failed('SQLITE_FULL', 'write', 'full');
    assert.deepEqual(health.writesFailing(), { code: 'SQLITE_FULL', sinceMs: since });
    health.writeSucceeded();
    assert.equal(health.writesFailing(), null);
    assert.deepEqual(changes, [{ code: 'SQLITE_FULL', sinceMs: since }, null]);
    assert.equal(lines.at(-1)!.msg, 'database writes succeed again');
    assert.equal(lines.at(-1)!.failures, 3);
    health.writeSucceeded();
    assert.equal(changes.length, 2, 'nothing more to tell');
  });
});

describe('PostgreSQL error translation', () => {
  it("answers an unreachable database 503 with the code only, never the driver's message (it names the database's host and port)", async () => {
    const { translate } = await import('../../src/storage/postgres/errors.js');
    const failed: string[] = [];
    const err = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    assert.throws(() => translate(err, { failed: (_c, _k, message) => failed.push(message), writeSucceeded: () => undefined }, 'read'), (e: unknown) => {
      assert.equal((e as Error).message, 'storage unavailable: ECONNREFUSED');
      return true;
    });
    assert.deepEqual(failed, ['connect ECONNREFUSED 10.1.2.3:5432'], 'the log has it whole');
  });
});
