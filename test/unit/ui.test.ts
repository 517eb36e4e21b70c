// The dashboard's pure parts: escaping templates, relative times, the 24 h strip's periods, and the
// feed's watch (what the dashboard's change stream listens to), on mock timers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEventFeed } from '../../src/events/feed.js';
import { escapeHtml, html, raw } from '../../src/ui/html.js';
import { ago, duration } from '../../src/ui/format.js';
import { periods, totals } from '../../src/ui/strip.js';

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('html templates', () => {
  it('escape every interpolated value, in text and attributes, but not nested templates', () => {
    const name = `<script>alert("x")</script>&'`;
    const out = html`<td title="${name}">${name}</td>${html`<b>${'ok'}</b>`}`.text;
    assert.equal(out, '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td><b>ok</b>');
    assert.equal(escapeHtml('a"b'), 'a&quot;b');
  });

  it('render lists, numbers, and nothing for null, undefined and false', () => {
    assert.equal(html`${['<a>', 1, null, undefined, false, raw('<br>')]}`.text, '&lt;a&gt;1<br>');
  });
});

describe('relative times', () => {
  it('read as people say them', () => {
    assert.equal(duration(12_400), '12 s');
    assert.equal(duration(5 * 60_000 + 59_000), '5 min');
    assert.equal(duration(3 * 3600_000), '3 h');
    assert.equal(duration(3 * 3600_000 + 20 * 60_000), '3 h 20 min');
    assert.equal(duration(50 * 3600_000), '2 d 2 h');
    assert.equal(duration(-5), '0 s');
    assert.equal(ago(1_000, 13_000), '12 s ago');
    assert.equal(ago(20_000, 13_000), 'in 7 s', 'a skewed clock in the future');
    assert.equal(ago(13_500, 13_000), '0 s ago', 'under a second ahead is now');
    assert.equal(ago(null, 13_000), 'never');
  });
});

describe('the 24 h strip', () => {
  const H = 3600_000;
  const now = 100 * H;
  const start = now - 24 * H;

  it('starts with the first change\'s "from", follows each change, and ends with the current status', () => {
    const ps = periods(
      [
        { timeMs: start + 10 * H, from: 'online', to: 'offline' },
        { timeMs: start + 2 * H, from: 'offline', to: 'online' }, // any order
      ],
      'offline', 0, start, now,
    );
    assert.deepEqual(ps, [
      { startMs: start, endMs: start + 2 * H, status: 'offline' },
      { startMs: start + 2 * H, endMs: start + 10 * H, status: 'online' },
      { startMs: start + 10 * H, endMs: now, status: 'offline' },
    ]);
    assert.deepEqual([...totals(ps)], [['offline', 16 * H], ['online', 8 * H]]);
  });

  it('draws nothing before the registration, one period without changes, and ignores changes outside the window', () => {
    assert.deepEqual(periods([], 'online', now - H, start, now), [{ startMs: now - H, endMs: now, status: 'online' }]);
    assert.deepEqual(periods([{ timeMs: start - H, from: 'online', to: 'offline' }], 'offline', 0, start, now), [{ startMs: start, endMs: now, status: 'offline' }]);
    assert.deepEqual(periods([], 'online', now + 1, start, now), [], 'registered after now: nothing');
  });

  it('joins neighbours of the same status, and trusts the current status over a missing change', () => {
    const twice = [
      { timeMs: start + H, from: 'initialized', to: 'online' },
      { timeMs: start + 2 * H, from: 'online', to: 'online' },
    ] as const;
    assert.deepEqual(periods(twice, 'online', start, start, now), [
      { startMs: start, endMs: start + H, status: 'initialized' },
      { startMs: start + H, endMs: now, status: 'online' },
    ]);
    assert.deepEqual(periods([twice[0]], 'offline', start, start, now), [
      { startMs: start, endMs: start + H, status: 'initialized' },
      { startMs: start + H, endMs: now, status: 'offline' },
    ], 'the change to offline is missing from the history: the node\'s own status ends the strip');
  });
});

describe('feed.watch', () => {
  it('calls back when the last event id moves past the cursor, once per poll, and stops polling when unwatched', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let last = 5;
    let boundsReads = 0;
    const feed = createEventFeed({
      events: async () => [],
      eventBounds: async () => {
        boundsReads++;
        return { oldest: 1, last };
      },
    }, { pollMs: 250 });
    const seen: number[] = [];
    const stop = feed.watch(3, (id) => seen.push(id));
    assert.equal(feed.size(), 1);
    t.mock.timers.tick(250);
    await flush();
    assert.deepEqual(seen, [5], 'events 4 and 5 were written after the cursor: one call');
    t.mock.timers.tick(250);
    await flush();
    assert.deepEqual(seen, [5], 'nothing new: no call');
    last = 9;
    t.mock.timers.tick(250);
    await flush();
    assert.deepEqual(seen, [5, 9]);
    const late = feed.watch(9, (id) => seen.push(-id));
    t.mock.timers.tick(250);
    await flush();
    assert.deepEqual(seen, [5, 9], 'a watcher at the last id is not called');
    stop();
    late();
    assert.equal(feed.size(), 0);
    const reads = boundsReads;
    t.mock.timers.tick(5_000);
    await flush();
    assert.equal(boundsReads, reads, 'no polling without watchers');
  });
});

describe('the event feed', () => {
  it('gives subscribers at the same cursor with the same filters one shared read of each page', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let last = 0;
    const reads: string[] = [];
    const stored = (id: number) => ({ id, timeMs: id, type: 'node.status' as const, nodeId: 'A1', json: `{"id":${id}}` });
    const feed = createEventFeed({
      events: async (q) => {
        reads.push(JSON.stringify(q));
        return Array.from({ length: Math.max(0, last - q.after) }, (_, i) => stored(q.after + i + 1)).slice(0, q.limit);
      },
      eventBounds: async () => ({ oldest: 1, last }),
    }, { pollMs: 250 });
    const got = new Map<string, number[]>();
    const subscribe = (name: string, nodeIds: string[]) =>
      feed.subscribe({ after: 0, types: [], nodeIds, send: async (es) => { got.set(name, [...(got.get(name) ?? []), ...es.map((e) => e.id)]); }, reset: async () => undefined });
    const stops = [...Array.from({ length: 50 }, (_, i) => subscribe(`all-${i}`, [])), subscribe('a1', ['A1'])];
    await flush();
    reads.length = 0;
    last = 3; // three events written
    t.mock.timers.tick(250);
    await flush();
    assert.equal(reads.length, 2, `one read for the 50 alike, one for the other filter: ${reads.join(' ')}`);
    for (let i = 0; i < 50; i++) assert.deepEqual(got.get(`all-${i}`), [1, 2, 3]);
    assert.deepEqual(got.get('a1'), [1, 2, 3]);
    for (const stop of stops) stop();
    feed.close();
  });
});
