// Child process for the cross-process ID test: registers N nodes named `<tag>-<i>`, prints their IDs.
import { openSqliteStore } from '../../src/storage/sqlite/index.js';

const [path, tag, count] = process.argv.slice(2) as [string, string, string];
const store = openSqliteStore({ path });
const ids: string[] = [];
for (let i = 0; i < Number(count); i++) {
  const out = await store.register({ id: null, name: `${tag}-${i}`, type: 'agent', version: '1', metaData: {} }, Date.now(), 'A');
  if (out.kind !== 'created') throw new Error(`unexpected ${out.kind}`);
  ids.push(out.node.id);
}
await store.close();
process.stdout.write(JSON.stringify(ids));
