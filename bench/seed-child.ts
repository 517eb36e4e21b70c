// Seeds a database in a process of its own (bench/lib/fleet.ts `seed`), so the measuring process does not
// carry a million rows' worth of garbage into the sweeps it times:
//   node --import tsx bench/seed-child.ts DB_PATH COUNT REPORTED_AT_MS SHARDS
import { seed } from './lib/fleet.js';

const [path, count, at, shards] = process.argv.slice(2);
seed(path!, Number(count), Number(at), { shards: Number(shards) || undefined });
