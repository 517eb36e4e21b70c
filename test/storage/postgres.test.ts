// The storage contract against a real PostgreSQL server (test/helpers/postgres.ts starts a throwaway one
// from Debian's binaries): the same suite as SQLite's, unchanged, a new database per test.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openPgStore } from '../../src/storage/postgres/index.js';
import type { NodeStore } from '../../src/storage/store.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { describeNodeStoreContract, reg } from './contract.js';

const missing = postgresMissing();
if (missing && process.env.CI === 'true') throw new Error(`${missing} (CI refuses to skip them)`);

let server: Promise<PostgresServer> | null = null;
after(async () => {
  if (server) await (await server).stop();
});

if (missing) {
  describe('NodeStore contract: postgres', { skip: missing }, () => undefined);
} else {
  describeNodeStoreContract('postgres', async () => {
    server ??= startPostgres();
    const url = await (await server).createDatabase();
    let store: NodeStore = await openPgStore({ url, poolSize: 4 });
    return {
      store,
      async reopen() {
        await store.close();
        store = await openPgStore({ url, poolSize: 4 });
        return store;
      },
      async cleanup() {
        await store.close();
      },
    };
  });
}

describe('PostgreSQL: several masters on one database', { skip: missing ?? false }, () => {
  it('a reader following the events by id misses none while two masters write side by side (ids visible in commit order)', async () => {
    server ??= startPostgres();
    const url = await (await server).createDatabase();
    const [a, b, reader] = await Promise.all([openPgStore({ url, poolSize: 4 }), openPgStore({ url, poolSize: 4 }), openPgStore({ url, poolSize: 2 })]);
    try {
      const seen: number[] = [];
      let writing = true;
      const follow = (async () => {
        let after = 0;
        for (let round = 0; round < 100_000; round++) {
          const page = await reader.events({ after, limit: 1000, types: [], nodeIds: [] });
          for (const e of page) seen.push(e.id);
          after = page.at(-1)?.id ?? after;
          if (!writing && page.length === 0) break;
        }
      })();
      // 2 × 30 turns of 10 registrations each, both masters at once: 600 events.
      const load = async (store: typeof a, prefix: string) => {
        for (let turn = 0; turn < 30; turn++) await Promise.all(Array.from({ length: 10 }, (_, i) => store.register(reg(`${prefix}-${turn}-${i}`), 1_000 + turn, 'A')));
      };
      await Promise.all([load(a, 'a'), load(b, 'b')]);
      writing = false;
      await follow;
      assert.equal(seen.length, 600, 'every event seen once');
      assert.deepEqual(seen, Array.from({ length: 600 }, (_, i) => i + 1), 'in id order, none skipped');
      const ids = (await reader.list()).map((n) => Number(n.id.slice(1))).sort((x, y) => x - y);
      assert.deepEqual(ids, Array.from({ length: 600 }, (_, i) => i + 1), 'node IDs unique and without gaps');
    } finally {
      await Promise.all([a.close(), b.close(), reader.close()]);
    }
  });
});
