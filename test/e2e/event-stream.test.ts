// The event stream over a real socket from the built CLI with two workers: changes made through either
// worker reach the stream within a second; a stream resumes exactly from Last-Event-ID across a
// restart; after retention pruned the resume point it says `reset` and continues from the oldest.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registrationBody, tempDir } from '../helpers/fixtures.js';
import { openStream } from '../helpers/sse.js';
import { requestFresh, startMaster, stopMaster, waitFor } from './harness.js';

describe('end-to-end: the event stream (two workers)', () => {
  it('delivers changes made through either worker within a second, and resumes from Last-Event-ID after a restart', async () => {
    const t = tempDir('argus-e2e-');
    // LOG_REQUESTS: the request log says which worker answered each registration.
    let m = await startMaster(t.dir, { LOG_REQUESTS: 'true' });
    try {
      const stream = openStream(`${m.api}/events/stream`);
      const res = await stream.opened;
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      assert.equal(res.headers['cache-control'], 'no-cache, no-transform');
      await new Promise((r) => setTimeout(r, 300)); // the stream is subscribed
      const sentAt: number[] = [];
      for (let i = 0; i < 6; i++) {
        sentAt.push(Date.now());
        assert.equal((await requestFresh('POST', `${m.api}/nodes?probe=either-${i}`, registrationBody(`s-${i}`))).status, 201); // new connections: both workers
      }
      const answeredBy = await waitFor('the request log of the six registrations', () => {
        const lines = m.output().split('\n').filter((l) => l.includes('"msg":"incoming request"') && l.includes('probe=either-')).map((l) => JSON.parse(l) as { pid: number });
        return lines.length === 6 && new Set(lines.map((l) => l.pid));
      }, 3_000, 20);
      assert.equal(answeredBy.size, 2, 'the changes were made through both workers');
      await waitFor('six registrations on the stream', () => stream.messages.length >= 6, 5_000, 20);
      assert.deepEqual(stream.messages.map((x) => [x.id, x.event, x.data.node_id]), Array.from({ length: 6 }, (_, i) => [i + 1, 'node.registered', `A${i + 1}`]));
      stream.messages.forEach((x, i) => assert.ok(x.at - sentAt[i]! < 1_000, `event ${x.id} arrived ${x.at - sentAt[i]!} ms after its change`));
      assert.deepEqual(stream.messages[0]!.data, (await requestFresh('GET', `${m.api}/events?limit=1`)).body[0]);
      stream.close();

      await stopMaster(m);
      m = await startMaster(t.dir, {}, Number(new URL(m.base).port));
      await requestFresh('PUT', `${m.api}/nodes/A2/config`, { label: ['after-restart'] });
      const resumed = openStream(`${m.api}/events/stream`, { 'last-event-id': '4' });
      await waitFor('the resumed stream', () => resumed.messages.length >= 3, 5_000, 20);
      assert.deepEqual(resumed.messages.map((x) => x.id), [5, 6, 7], 'exactly the events after 4, none twice');
      assert.equal(resumed.messages[2]!.event, 'node.config');
      const filtered = openStream(`${m.api}/events/stream?after=0&type=node.config`);
      await waitFor('the filtered stream', () => filtered.messages.length >= 1, 5_000, 20);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(filtered.messages.map((x) => x.id), [7]);
      resumed.close();
      filtered.close();
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });

  it('says reset and continues from the oldest retained event when the resume point was pruned; GET /events answers 410', async () => {
    const t = tempDir('argus-e2e-');
    // Retention of 2.6 s (0.00003 days), swept every 0.5 s.
    const m = await startMaster(t.dir, { EVENTS_RETENTION_DAYS: '0.00003' });
    try {
      for (let i = 0; i < 3; i++) await requestFresh('POST', `${m.api}/nodes`, registrationBody(`old-${i}`));
      await waitFor('the old events to be pruned', async () => (await requestFresh('GET', `${m.api}/events`)).body.length === 0, 8_000);
      await requestFresh('POST', `${m.api}/nodes`, registrationBody('new'));
      const gone = await requestFresh('GET', `${m.api}/events?after=1`);
      assert.equal(gone.status, 410);
      assert.equal(gone.body.oldest, 4);
      const stream = openStream(`${m.api}/events/stream?after=1`);
      await waitFor('reset and the oldest event', () => stream.messages.length >= 2, 5_000, 20);
      assert.deepEqual(stream.messages[0], { ...stream.messages[0], id: undefined, event: 'reset', data: { oldest: 4 } });
      assert.deepEqual([stream.messages[1]!.id, stream.messages[1]!.event], [4, 'node.registered']);
      stream.close();
      const metrics = (await requestFresh('GET', `${m.base}/metrics`)).body as string;
      assert.match(metrics, /^argus_master_events_pruned_total [1-9]/m);
      assert.match(metrics, /^argus_master_events_written_total\{type="node.registered"\} 4$/m);
    } finally {
      await stopMaster(m);
      t.cleanup();
    }
  });
});
