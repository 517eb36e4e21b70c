// The live event feed of one process (SPEC §8.2, the stream). Guarantees: every subscriber gets the
// events after its cursor in id order, each once, whichever process or master wrote them — the feed
// watches the store's last event id every `pollMs` (250 ms: a change anywhere reaches every open
// stream within a second), and each subscriber then reads what is new for it from the store, a page at
// a time, at its own pace (a slow reader holds no one else up, and memory per subscriber is one page).
// A subscriber whose cursor was pruned by retention is told `reset` with the oldest retained id and
// continues from there. Subscribers at the same cursor with the same filters share one read of each
// page (a hundred dashboards following the fleet cost one query per new event, not a hundred).
import type { EventType, StoredEvent } from '../domain/events.js';
import type { EventQuery } from '../storage/store.js';
import { systemClock, type Clock, type Timer } from '../clock.js';

/** What the feed reads. */
export interface FeedSource {
  events(query: EventQuery): Promise<StoredEvent[]>;
  eventBounds(): Promise<{ oldest: number | null; last: number }>;
}

/** One open stream. */
export interface FeedSubscriber {
  /** Last event id delivered (or the resume point). */
  after: number;
  types: readonly EventType[];
  nodeIds: readonly string[];
  /** Delivers a page; resolves when the subscriber can take more (backpressure). */
  send(events: StoredEvent[]): Promise<void>;
  /** The resume point was deleted by retention: continue from `oldest`. */
  reset(oldest: number): Promise<void>;
}

/** The feed. */
export interface EventFeed {
  /** Starts delivering to `s` (first what is already after its cursor); returns the unsubscribe. */
  subscribe(s: FeedSubscriber): () => void;
  /**
   * Calls `onChange` with the last event id whenever it moved past `after` and past what was last
   * reported (at most once a poll): for a client that only needs to know that something changed (the
   * dashboard), not what. Returns the unsubscribe.
   */
  watch(after: number, onChange: (last: number) => void): () => void;
  /** Open subscribers and watchers. */
  size(): number;
  close(): void;
}

const PAGE = 500;

type Bounds = { oldest: number | null; last: number };

/**
 * Brings a subscriber up to the bounds, a page at a time (never twice at once for the same subscriber);
 * `latest` is what the feed last saw, for one more run when events arrived meanwhile.
 */
function pumper(readPage: (q: EventQuery) => Promise<StoredEvent[]>, source: FeedSource, live: (s: FeedSubscriber) => boolean, latest: () => Bounds, onError?: (err: unknown) => void) {
  const busy = new WeakMap<FeedSubscriber, Promise<void>>();
  const catchUp = async (s: FeedSubscriber, from: Bounds) => {
    let bounds = from;
    // Bounded: each round moves the cursor forward or ends.
    for (let round = 0; round < 1_000_000 && live(s) && s.after < bounds.last; round++) {
      const firstKept = bounds.oldest ?? bounds.last + 1;
      if (s.after + 1 < firstKept) {
        await s.reset(firstKept);
        s.after = firstKept - 1;
        continue;
      }
      const page = await readPage({ after: s.after, limit: PAGE, types: s.types, nodeIds: s.nodeIds });
      if (page.length === 0) {
        s.after = bounds.last; // nothing matches this subscriber's filters up to the last id
        break;
      }
      await s.send(page);
      s.after = page.at(-1)!.id;
      if (page.length < PAGE && s.after >= bounds.last) break;
      if (page.length === PAGE) bounds = await source.eventBounds();
    }
  };
  const pump = (s: FeedSubscriber, bounds: Bounds): Promise<void> => {
    const running = busy.get(s);
    if (running) return running;
    const run = catchUp(s, bounds).then(
      () => {
        busy.delete(s);
        // Events that arrived while this run worked from older bounds: one more run.
        if (live(s) && latest().last > s.after) void pump(s, latest());
      },
      (err: unknown) => {
        busy.delete(s); // the next tick that sees new events tries again
        onError?.(err);
      },
    );
    busy.set(s, run);
    return run;
  };
  return pump;
}

/** Creates the feed over `source`; its polls are `clock`'s timers. */
export function createEventFeed(source: FeedSource, options: { pollMs?: number; onError?: (err: unknown) => void; clock?: Clock } = {}): EventFeed {
  const pollMs = options.pollMs ?? 250;
  const clock = options.clock ?? systemClock;
  const subscribers = new Set<FeedSubscriber>();
  const watchers = new Set<(last: number) => void>();
  const idle = () => subscribers.size === 0 && watchers.size === 0;
  let timer: Timer | null = null;
  let latest: Bounds = { oldest: null, last: -1 };
  /** Reads in flight by query: subscribers asking the same page while it is read share it. */
  const reading = new Map<string, Promise<StoredEvent[]>>();
  const readPage = (query: EventQuery): Promise<StoredEvent[]> => {
    const key = JSON.stringify([query.after, query.limit, query.types, query.nodeIds]);
    const shared = reading.get(key);
    if (shared) return shared;
    const read = source.events(query).finally(() => reading.delete(key));
    reading.set(key, read);
    return read;
  };
  const pump = pumper(readPage, source, (s) => subscribers.has(s), () => latest, options.onError);

  const tick = async () => {
    timer = null;
    try {
      const bounds = await source.eventBounds();
      if (bounds.last !== latest.last) {
        latest = bounds;
        for (const s of subscribers) void pump(s, bounds);
      }
      for (const w of watchers) w(bounds.last);
    } catch (err) {
      options.onError?.(err);
    }
    if (!idle() && timer === null) timer = clock.setTimeout(() => void tick(), pollMs);
  };
  const poll = () => {
    if (timer === null) timer = clock.setTimeout(() => void tick(), pollMs);
  };
  const stopWhenIdle = () => {
    if (idle() && timer !== null) {
      timer.cancel();
      timer = null;
    }
  };

  return {
    subscribe(s) {
      subscribers.add(s);
      void source.eventBounds().then((b) => pump(s, b), (err: unknown) => options.onError?.(err));
      poll();
      return () => {
        subscribers.delete(s);
        stopWhenIdle();
      };
    },
    watch(after, onChange) {
      let seen = after;
      const w = (last: number) => {
        if (last <= seen) return;
        seen = last;
        onChange(last);
      };
      watchers.add(w);
      poll();
      return () => {
        watchers.delete(w);
        stopWhenIdle();
      };
    },
    size: () => subscribers.size + watchers.size,
    close() {
      subscribers.clear();
      watchers.clear();
      timer?.cancel();
      timer = null;
    },
  };
}
