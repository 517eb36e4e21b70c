// Notifications on the built CLI as real processes (SPEC §15), to a receiver on loopback that verifies
// each signature with the `standardwebhooks` library: a node's offline transition reaches it within a
// second of the sweep; a failed attempt is retried with the same webhook-id; a burst arrives as digests;
// a SIGKILLed master (SQLite, two workers) and a SIGKILLed leader (two masters on PostgreSQL) lose
// nothing and deliver each message once, but for those in flight at the kill (which keep their id).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { postgresMissing, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { registrationBody, tempDir } from '../helpers/fixtures.js';
import { receivedEvents, startReceiver, type Receiver } from '../helpers/webhook-receiver.js';
import { requestFresh, sleep, startMaster, stopMaster, waitFor, type MasterProcess } from './harness.js';

const missing = postgresMissing();
if (missing && process.env.CI === 'true') throw new Error(`${missing} (CI refuses to skip them)`);

const FAST = { ONLINE_THRESHOLD_SECONDS: '1', OFFLINE_THRESHOLD_SECONDS: '2', SCHEDULER_INTERVAL_SECONDS: '0.5', OFFLINE_BRAKE: 'off' };
const report = () => ({ timestamp: new Date().toISOString(), health: {} });

/** Registers nodes and has each report once. */
async function nodes(m: MasterProcess, names: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const id = (await requestFresh('POST', `${m.api}/nodes`, registrationBody(name))).body.id as string;
    await requestFresh('PUT', `${m.api}/nodes/${id}/status`, report());
    ids.push(id);
  }
  return ids;
}
async function endpoint(m: MasterProcess, r: Receiver, extra: object = {}): Promise<void> {
  const made = await requestFresh('POST', `${m.api}/notifications/endpoints`, { name: 'ops', url: r.url, ...extra });
  assert.equal(made.status, 201);
  r.secret = made.body.secret;
}
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
/** The status transitions the master recorded (`to`: only those to it), after event `after`. */
async function statusEvents(m: MasterProcess, to?: string, after = 0): Promise<number[]> {
  const events = (await requestFresh('GET', `${m.api}/events?type=node.status&limit=1000&after=${after}`)).body as Array<{ id: number; to: string }>;
  return events.filter((e) => to === undefined || e.to === to).map((e) => e.id).sort((a, b) => a - b);
}
/** Each webhook-id names one event, and the events received are `expected`, each once. */
function assertOnceEach(r: Receiver, expected: number[]) {
  const byId = new Map<string, string>();
  for (const msg of r.received) {
    const key = JSON.stringify(msg.body.type === 'digest' ? msg.body.data.events.map((d: any) => d.event.id) : [msg.body.data?.event?.id]);
    assert.equal(byId.get(msg.id) ?? key, key, `webhook-id ${msg.id} carried one message`);
    byId.set(msg.id, key);
  }
  const unique = new Map<string, Set<number>>();
  for (const msg of r.received) unique.set(msg.id, new Set(msg.body.type === 'digest' ? msg.body.data.events.map((d: any) => d.event.id) : [msg.body.data.event.id]));
  const got = [...unique.values()].flatMap((s) => [...s]).sort((a, b) => a - b);
  assert.deepEqual(got, expected, 'every status transition, each in one message');
}

describe('end-to-end: notifications (SQLite, two workers)', () => {
  it("reaches a receiver within a second of the sweep, with a signature the receiver verifies", async () => {
    const t = tempDir('argus-e2e-');
    const r = await startReceiver();
    const m = await startMaster(t.dir, { ...FAST, NOTIFY_MAX_PER_MINUTE: '1000' });
    try {
      await endpoint(m, r);
      for (let g = 0; g < 4; g++) {
        await nodes(m, names(`g${g}`, 5));
        await sleep(700);
      }
      await waitFor('20 offline messages', () => r.received.filter((msg) => msg.body.data.event.to === 'offline').length >= 20, 10_000, 50);
      const late = r.received.filter((msg) => msg.body.data.event.to === 'offline').map((msg) => msg.atMs - Date.parse(msg.body.data.event.time));
      process.stdout.write(`# offline transition to receiver: p50 ${percentile(late, 50)} ms, p99 ${percentile(late, 99)} ms, max ${Math.max(...late)} ms (20 messages over 4 sweeps)\n`);
      assert.ok(r.received.every((msg) => msg.verified), 'every signature verifies');
      assert.ok(percentile(late, 99) < 1_000, `p99 ${percentile(late, 99)} ms`);
      assertOnceEach(r, await statusEvents(m));
    } finally {
      await stopMaster(m);
      await r.close();
      t.cleanup();
    }
  });

  it('retries a failed attempt after 5 s with the same webhook-id, signed afresh', async () => {
    const t = tempDir('argus-e2e-');
    const r = await startReceiver();
    r.status = (n) => (n === 1 ? 503 : 204);
    const m = await startMaster(t.dir, FAST);
    try {
      await endpoint(m, r);
      await nodes(m, ['a']);
      // The first message (the node coming online) fails once and is tried again.
      await waitFor('the retry', () => r.received.filter((msg) => msg.id === r.received[0]!.id).length >= 2, 12_000, 50);
      const [first, second] = r.received.filter((msg) => msg.id === r.received[0]!.id);
      assert.equal(second!.id, first!.id);
      assert.ok(second!.atMs - first!.atMs >= 4_900, `retried after ${second!.atMs - first!.atMs} ms`);
      assert.ok(first!.verified && second!.verified);
      const d = (await requestFresh('GET', `${m.api}/notifications/deliveries/${first!.id}`)).body;
      assert.deepEqual([d.id, d.state, d.attempts, d.type], [first!.id, 'delivered', 2, 'node.status']);
    } finally {
      await stopMaster(m);
      await r.close();
      t.cleanup();
    }
  });

  it('sends 300 nodes going offline at once as a few digests, not 300 requests', async () => {
    const t = tempDir('argus-e2e-');
    const r = await startReceiver();
    // The endpoint's selector (evaluated on each node as it is when its event goes out) keeps the 300
    // coming online out; they go offline over the few sweeps their registration took; 10 messages a minute at most.
    const m = await startMaster(t.dir, { ...FAST, ONLINE_THRESHOLD_SECONDS: '5', OFFLINE_THRESHOLD_SECONDS: '6', NOTIFY_MAX_PER_MINUTE: '10' });
    try {
      await endpoint(m, r, { selector: 'status=offline' });
      for (let i = 0; i < 300; i += 20) await Promise.all(names('n', 300).slice(i, i + 20).map((name) => nodes(m, [name])));
      const offline = await waitFor('300 offline events', async () => ((await statusEvents(m, 'offline')).length === 300 ? Date.now() : 0), 20_000, 100);
      await waitFor('300 events received', () => receivedEvents(r).length >= 300, 10_000, 50);
      process.stdout.write(`# 300 offline transitions arrived in ${r.received.length} requests, the last ${Date.now() - offline} ms after the sweep ended\n`);
      assert.ok(r.received.length <= 20, `${r.received.length} requests`);
      assert.ok(r.received.some((msg) => msg.body.type === 'digest'));
      assertOnceEach(r, await statusEvents(m, 'offline'));
    } finally {
      await stopMaster(m);
      await r.close();
      t.cleanup();
    }
  });

  it('a SIGKILLed master loses nothing: after its restart every message arrives, each id once', async () => {
    const t = tempDir('argus-e2e-');
    let r = await startReceiver();
    const port = Number(new URL(r.url).port);
    let m = await startMaster(t.dir, FAST);
    try {
      await endpoint(m, r);
      const secret = r.secret;
      await r.close(); // the receiver is down: attempts fail
      await nodes(m, names('k', 10));
      await waitFor('every message tried once', async () => {
        const ds = (await requestFresh('GET', `${m.api}/notifications/deliveries?state=pending`)).body as Array<{ attempts: number }>;
        return ds.length === 20 && ds.every((d) => d.attempts >= 1);
      }, 10_000, 100);
      m.kill('SIGKILL', true);
      r = await startReceiver(port);
      r.secret = secret;
      m = await startMaster(t.dir, FAST);
      await waitFor('20 events received', () => receivedEvents(r).length >= 20, 15_000, 100);
      await sleep(1_000);
      assert.ok(r.received.every((msg) => msg.verified));
      assertOnceEach(r, await statusEvents(m));
      assert.equal(new Set(r.received.map((msg) => msg.id)).size, r.received.length, 'no id twice (nothing was in flight at the kill)');
    } finally {
      await stopMaster(m);
      await r.close();
      t.cleanup();
    }
  });
});

describe('end-to-end: notifications on several masters (PostgreSQL)', { skip: missing ?? false }, () => {
  let pg: PostgresServer;
  const t = tempDir('argus-notify-ha-');
  const started: MasterProcess[] = [];
  before(async () => { pg = await startPostgres(); });
  after(async () => {
    for (const m of started) m.kill('SIGKILL', true);
    await pg?.stop();
    t.cleanup();
  });

  it('a SIGKILLed leader loses nothing: the new leader delivers every message, each once but those in flight', async () => {
    const url = await pg.createDatabase();
    const LEASE = 1.5;
    const env = (name: string) => ({ ...FAST, DATABASE_URL: url, MASTER_INSTANCE: name, LEADER_LEASE_SECONDS: String(LEASE), NOTIFY_MAX_PER_MINUTE: '1000' });
    const a = await startMaster(join(t.dir, 'a'), env('master-a'));
    const b = await startMaster(join(t.dir, 'b'), env('master-b'));
    started.push(a, b);
    const leaderName = await waitFor('a leader', async () => (await requestFresh('GET', `${a.api}/cluster`)).body.leader?.instance as string | undefined);
    const [leader, follower] = leaderName === 'master-a' ? [a, b] : [b, a];
    const r = await startReceiver();
    try {
      await endpoint(follower, r);
      // A slow receiver: messages are in flight when the leader dies.
      r.status = () => 204;
      await nodes(follower, names('p', 12));
      await waitFor('some messages received', () => r.received.length >= 3, 10_000, 20);
      leader.kill('SIGKILL', true);
      await waitFor('the follower leads', async () => (await requestFresh('GET', `${follower.api}/cluster`)).body.role === 'leader', (LEASE + 3) * 1000, 50);
      await waitFor('24 events received', () => new Set(receivedEvents(r).map((e) => e.id)).size >= 24, 20_000, 100);
      await sleep(1_000);
      const ids = r.received.map((msg) => msg.id);
      const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
      process.stdout.write(`# failover: ${r.received.length} requests for 24 messages; sent again (in flight at the kill, same id): ${twice.length}\n`);
      assert.ok(r.received.every((msg) => msg.verified));
      assertOnceEach(r, await statusEvents(follower));
      await stopMaster(follower);
    } finally {
      await r.close();
    }
  });
});
