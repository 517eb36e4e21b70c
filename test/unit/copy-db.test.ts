// copy-db's arguments and messages (the copy itself: test/e2e/copy-db.test.ts): a database URL is
// shown without its password, wherever it is written; --help is help; a missing source is refused.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { copyDb, COPY_DB_USAGE, shown } from '../../src/copy-db.js';
import { tempDir } from '../helpers/fixtures.js';

describe('copy-db', () => {
  for (const [url, expected] of [
    ['postgres://argus:hunter2@db:5432/argus', 'postgres://argus:***@db:5432/argus'],
    ['postgres://argus@db/argus?password=hunter2&sslmode=require', 'postgres://argus@db/argus?password=***&sslmode=require'],
    ['postgresql://argus:p@ss@word@db/argus', 'postgresql://argus:***@db/argus'],
    ['postgres://argus:x@db/argus?sslpassword=hunter2', 'postgres://argus:***@db/argus?sslpassword=***'],
    ['/private/argus/master/db.sqlite3', '/private/argus/master/db.sqlite3'],
  ] as const) {
    it(`shows ${url.replace(/hunter2|p@ss@word/g, '…')} without its secrets`, () => {
      assert.equal(shown(url), expected);
    });
  }

  it('shows nothing of a URL that does not parse', () => {
    assert.doesNotMatch(shown('postgres://argus:hunter2@[db/argus'), /hunter2/);
  });

  it('answers --help with its usage and an example, exit 0', async () => {
    const out: string[] = [];
    assert.equal(await copyDb(['--help'], (l) => out.push(`err:${l}`), (t) => out.push(t)), 0);
    assert.deepEqual(out, [COPY_DB_USAGE]);
    assert.match(COPY_DB_USAGE, /Example:/);
  });

  it('refuses a SQLite source that does not exist, creating nothing (a mistyped --from)', async () => {
    const t = tempDir();
    try {
      const lines: string[] = [];
      const from = join(t.dir, 'typo.sqlite3');
      assert.equal(await copyDb(['--from', from, '--to', join(t.dir, 'to.sqlite3')], (l) => lines.push(l)), 2);
      assert.match(lines.join('\n'), /refused: there is no SQLite database at .*typo\.sqlite3/);
      assert.equal(existsSync(from), false);
      assert.equal(existsSync(join(t.dir, 'to.sqlite3')), false);
    } finally {
      t.cleanup();
    }
  });
});
