// The storage contract against a real PostgreSQL server (test/helpers/postgres.ts starts a throwaway one
// from Debian's binaries): the same suite as SQLite's, unchanged, a new database per test.
import { after, describe } from 'node:test';
import { openPgStore } from '../../src/storage/postgres/index.js';
import type { NodeStore } from '../../src/storage/store.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { describeNodeStoreContract } from './contract.js';

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
