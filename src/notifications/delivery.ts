// The delivery of notifications (SPEC §15), on the leader only (with SQLite, the sweeping process): every
// quarter second it fans the new events out into the outbox, folds bursts into digests, claims what is
// due and sends it, at most 4 requests in flight and NOTIFY_MAX_PER_MINUTE a minute per endpoint.
// Guarantees: a pass never waits on a receiver (attempts run beside it, each bounded by its timeout), so
// one slow endpoint delays neither the sweep, the API nor another endpoint; an attempt is claimed in the
// database before it is sent (a failover retries it with the same id; a deposed leader's claim is refused
// by the fence); Alertmanager's firing alerts are re-sent every 60 s so that it keeps them.
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { ATTEMPT_TIMEOUT_MS, MAX_IN_FLIGHT, nextAttemptMs, planSends, SentWindow, type DueMessage } from '../domain/notifications.js';
import { parseSelector } from '../domain/selector.js';
import type { Metrics } from '../metrics.js';
import { createPeriodicTask, type PeriodicTask } from '../periodic.js';
import type { AttemptOutcome, DeliveryRow, EndpointRecord } from '../storage/core/notifications.js';
import type { NodeStore } from '../storage/store.js';
import { createMessages, digestOf } from './messages.js';
import { attempt as httpAttempt, type AttemptResult } from './send.js';

/** How often a pass runs. */
export const DELIVERY_PASS_MS = 250;
/** Events fanned out per transaction, and transactions per pass at most. */
const FAN_OUT_STEP = 2_000;
const FAN_OUT_STEPS = 25;
/** Due messages looked at per pass. */
const DUE_LIMIT = 5_000;
/** Alertmanager: firing alerts re-sent this often, in posts of this many, at most this many per endpoint. */
const REFRESH_MS = 60_000;
const REFRESH_BATCH = 1_000;
const REFRESH_MAX = 20_000;
/** Expiry of old messages, and pruning of finished ones, this often. */
const HOUSEKEEPING_MS = 60_000;

export interface DeliveryDeps {
  store: NodeStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  leading: () => boolean;
  maxAgeMs: number;
  perMinute: number;
  /** Finished deliveries are kept this long (the events' retention). */
  keepMs: number;
  publicUrl: string;
  /** One attempt (tests inject theirs); default: HTTP. */
  attempt?: (endpoint: EndpointRecord, message: { id: string; body: string }, nowMs: number) => Promise<AttemptResult>;
  everyMs?: number;
}

/** The outcome of an attempt's result. */
export function outcomeOf(result: AttemptResult, row: Pick<DeliveryRow, 'attempts' | 'created_at'>, nowMs: number, maxAgeMs: number): AttemptOutcome {
  if (result.status >= 200 && result.status < 300) return { kind: 'delivered', answer: result.answer };
  if (result.status === 410) return { kind: 'gone', answer: result.answer };
  return { kind: 'failed', answer: result.answer, nextAtMs: nextAttemptMs(Number(row.attempts), nowMs, Number(row.created_at), maxAgeMs) };
}

/** Records how an attempt ended, counts it, and says so when an endpoint is gone. */
async function finishAttempt(deps: DeliveryDeps, log: Logger, endpoint: EndpointRecord, row: DeliveryRow, result: AttemptResult): Promise<void> {
  const outcome = outcomeOf(result, row, deps.clock.now(), deps.maxAgeMs);
  const m = { endpoint: endpoint.id };
  if (outcome.kind === 'delivered') deps.metrics.notifyDelivered.inc(m);
  else deps.metrics.notifyFailed.inc(m);
  if (outcome.kind === 'gone' || (outcome.kind === 'failed' && outcome.nextAtMs === null)) deps.metrics.notifyDead.inc(m);
  if (outcome.kind === 'gone') log.warn({ endpoint: endpoint.id, name: endpoint.name }, 'endpoint answered 410 Gone: disabled');
  await deps.store.finishDelivery(row.id, endpoint.id, outcome);
}

/**
 * Alertmanager keeps an alert for its resolve_timeout (5 min by default): every 60 s the firing ones
 * (offline or degraded nodes of the endpoint's selector, not in maintenance, not flapping) are sent again.
 */
function createRefresher(store: NodeStore, messages: ReturnType<typeof createMessages>, send: NonNullable<DeliveryDeps['attempt']>, log: Logger, clock: Clock) {
  const lastRefresh = new Map<string, number>();
  const kinds = [
    { selector: parseSelector('status=offline, maintenance=false, flapping=false'), alertname: 'ArgusNodeOffline' },
    { selector: parseSelector('health=degraded, maintenance=false'), alertname: 'ArgusNodeDegraded' },
  ];
  return {
    forget: () => lastRefresh.clear(),
    async refresh(endpoint: EndpointRecord, now: number): Promise<void> {
      if (now - (lastRefresh.get(endpoint.id) ?? 0) < REFRESH_MS) return;
      lastRefresh.set(endpoint.id, now);
      for (const kind of kinds) {
        const selector = [...endpoint.selector, ...kind.selector];
        let after: string | null = null;
        for (let sent = 0; sent < REFRESH_MAX; sent += REFRESH_BATCH) {
          const page = await store.browse({ selector, q: null }, { after }, REFRESH_BATCH);
          const alerts = page.nodes.flatMap((n) => messages.firing(n).filter((a) => a.labels.alertname === kind.alertname));
          if (alerts.length > 0) {
            const result = await send(endpoint, { id: `refresh_${endpoint.id}_${now}`, body: JSON.stringify(alerts) }, clock.now());
            if (result.status < 200 || result.status >= 300) log.warn({ endpoint: endpoint.id, answer: result.answer }, 'alertmanager did not take the re-sent firing alerts');
          }
          if (page.next === null) break;
          after = page.next;
        }
      }
    },
  };
}

/** Creates the delivery pass. */
export function createDelivery(deps: DeliveryDeps): PeriodicTask & { runOnce(): Promise<void>; settled(): Promise<void> } {
  const log = deps.logger.child({ module: 'notifications' });
  const send = deps.attempt ?? httpAttempt;
  const messages = createMessages(deps.publicUrl);
  const refresher = createRefresher(deps.store, messages, send, log, deps.clock);
  const sent = new SentWindow(deps.perMinute);
  const inFlight = new Map<string, Set<string>>();
  const running = new Set<Promise<void>>();
  let lastHousekeeping = 0;

  const fanOut = async (now: number) => {
    for (let i = 0; i < FAN_OUT_STEPS; i++) {
      const step = await deps.store.fanOut(FAN_OUT_STEP, now, messages.build);
      if (step.events < FAN_OUT_STEP) return;
    }
  };

  /** Sends claimed messages beside the pass. */
  const launch = (endpoint: EndpointRecord, rows: DeliveryRow[], now: number) => {
    const mine = inFlight.get(endpoint.id) ?? new Set<string>();
    inFlight.set(endpoint.id, mine);
    for (const row of rows) {
      mine.add(row.id);
      sent.record(endpoint.id, now);
      const p = send(endpoint, row, deps.clock.now())
        .then((result) => finishAttempt(deps, log, endpoint, row, result))
        .catch((err: unknown) => log.error({ err, delivery: row.id }, 'delivery outcome not recorded; the message will be tried again'))
        .finally(() => {
          mine.delete(row.id);
          running.delete(p);
        });
      running.add(p);
    }
  };

  /** One endpoint's share of a pass: digests of bursts, then what fits its rate and slots. */
  const serve = async (endpoint: EndpointRecord, due: DeliveryRow[], now: number) => {
    const busy = inFlight.get(endpoint.id) ?? new Set<string>();
    const waiting: DueMessage[] = due.filter((r) => !busy.has(r.id)).map((r) => ({ id: r.id, attempts: Number(r.attempts), events: Number(r.events) }));
    const budget = sent.budget(endpoint.id, now);
    const slots = MAX_IN_FLIGHT - busy.size;
    const plan = planSends(waiting, budget, slots);
    const ids = [...plan.send];
    for (const group of plan.fold) {
      const digest = await deps.store.foldDeliveries(group, (rows) => digestOf(endpoint, rows, now), now);
      if (digest && ids.length < Math.min(budget, slots)) ids.push(digest.id);
    }
    if (ids.length === 0) return;
    const claimed = await deps.store.claimDeliveries(ids, now, now + ATTEMPT_TIMEOUT_MS + 1_000);
    launch(endpoint, claimed, now);
  };

  const housekeeping = async (now: number) => {
    if (now - lastHousekeeping < HOUSEKEEPING_MS) return;
    lastHousekeeping = now;
    const expired = await deps.store.expireDeliveries(now - deps.maxAgeMs);
    if (expired > 0) log.warn({ expired }, 'notifications not delivered within NOTIFY_MAX_AGE_HOURS are dead');
    await deps.store.pruneDeliveries(now - deps.keepMs);
  };

  const runOnce = async () => {
    if (!deps.leading()) {
      refresher.forget();
      return;
    }
    try {
      const now = deps.clock.now();
      await fanOut(now);
      await housekeeping(now);
      const endpoints = new Map((await deps.store.endpoints()).filter((e) => e.enabled).map((e) => [e.id, e]));
      const due = new Map<string, DeliveryRow[]>();
      for (const row of await deps.store.dueDeliveries(now, DUE_LIMIT)) {
        if (!endpoints.has(row.endpoint_id)) continue;
        const list = due.get(row.endpoint_id);
        if (list) list.push(row);
        else due.set(row.endpoint_id, [row]);
      }
      for (const [id, rows] of due) await serve(endpoints.get(id)!, rows, now);
      for (const e of endpoints.values()) if (e.kind === 'alertmanager') void refresher.refresh(e, now).catch((err: unknown) => log.warn({ err, endpoint: e.id }, 'alertmanager re-send failed'));
    } catch (err) {
      log.error({ err }, 'notification pass failed; retrying');
    }
  };

  const task = createPeriodicTask(runOnce, deps.everyMs ?? DELIVERY_PASS_MS, deps.clock);
  return {
    ...task,
    runOnce,
    /** Resolves when every attempt in flight has ended (tests, shutdown). */
    settled: async () => void (await Promise.all([...running])),
    async stop() {
      await task.stop();
      await Promise.all([...running]);
    },
  };
}
